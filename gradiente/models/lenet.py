"""LeNet-5 (LeCun et al., 1998), the first convolutional network of the notes (seed 002 §4.2; seed 001).

Two convolution + pooling stages extract local features with shared kernels
(seed 000 §5), then three dense layers classify them:

    conv 5x5 (6) -> act -> pool 2 -> conv 5x5 (16) -> act -> pool 2 -> 120 -> 84 -> classes

The first convolution pads by 2 so a 28x28 image keeps its size, as in the
d2l version. For small images (the 8x8 digits) the second convolution also
pads by 2 so the spatial size never drops below the kernel.
"""
from .. import nn

_ACTIVATIONS = {"relu": nn.ReLU, "sigmoid": nn.Sigmoid, "tanh": nn.Tanh}
_POOLS = {"max": nn.MaxPool2d, "avg": nn.AvgPool2d}


class LeNet5(nn.Module):
    """LeNet-5 for (N, in_channels, image_size, image_size) images; ``features`` then ``classifier``.

    ``activation`` is 'relu' (default), 'sigmoid' or 'tanh' (the original);
    ``pool`` is 'max' (default) or 'avg' (the original's subsampling).
    """

    def __init__(self, num_classes=10, in_channels=1, image_size=28, activation="relu", pool="max"):
        super().__init__()
        if activation not in _ACTIVATIONS:
            raise ValueError(f"LeNet5: activation must be one of {sorted(_ACTIVATIONS)}, got {activation!r}")
        if pool not in _POOLS:
            raise ValueError(f"LeNet5: pool must be one of {sorted(_POOLS)}, got {pool!r}")
        if not isinstance(image_size, int) or image_size < 4:
            raise ValueError(f"LeNet5: image_size must be an int >= 4, got {image_size!r}")
        act, pool_cls = _ACTIVATIONS[activation], _POOLS[pool]
        small = image_size < 16
        s = image_size // 2
        s = (s if small else s - 4) // 2
        self.image_size, self.in_channels = image_size, in_channels
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, 6, 5, padding=2), act(), pool_cls(2),
            nn.Conv2d(6, 16, 5, padding=2 if small else 0), act(), pool_cls(2),
        )
        self.classifier = nn.Sequential(
            nn.Flatten(),
            nn.Linear(16 * s * s, 120), act(),
            nn.Linear(120, 84), act(),
            nn.Linear(84, num_classes),
        )

    def forward(self, x):
        if x.ndim != 4 or x.shape[1] != self.in_channels or x.shape[2] != self.image_size \
                or x.shape[3] != self.image_size:
            raise ValueError(
                f"LeNet5: expected input (N, {self.in_channels}, {self.image_size}, {self.image_size}), "
                f"got shape {tuple(x.shape)}"
            )
        return self.classifier(self.features(x))
