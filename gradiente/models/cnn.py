"""Plain convolutional networks (seed 002 §4.2; seed 003, CNNs): a deep plain CNN, a small image CNN
and the 1-D CNN for sequences (MNIST-1D).

* :class:`PlainCNN`: the ResNet of ``models.resnet`` with every skip connection
  removed, the same depth and widths (seed 002 §4.4 compares the two).
* :class:`SimpleCNN`: conv-ReLU-pool twice and a dense head, for small images.
* :class:`CNN1d`: three strided 1-D convolutions and a linear read-out, the
  convolutional baseline of Greydanus & Kobak's MNIST-1D (25 channels,
  kernel 5 then 3, stride 2): weights shared along the sequence, so a pattern
  is recognised wherever it appears (seed 000 §5; seed 003, inductive bias).
"""
from .. import nn
from .resnet import ResNet


class PlainCNN(ResNet):
    """The :class:`~gradiente.models.resnet.ResNet` architecture without shortcuts (a plain deep CNN)."""

    def __init__(self, num_blocks=(2, 2, 2), widths=(16, 32, 64), num_classes=10, in_channels=1):
        super().__init__(num_blocks, widths, num_classes, in_channels, skip=False)


class SimpleCNN(nn.Module):
    """conv3x3 -> ReLU -> maxpool -> conv3x3 -> ReLU -> maxpool -> Linear -> ReLU -> Linear."""

    def __init__(self, num_classes=10, in_channels=1, image_size=8, channels=(16, 32), hidden=64):
        super().__init__()
        c1, c2 = channels
        s = image_size // 4
        if s < 1:
            raise ValueError(f"SimpleCNN: image_size must be at least 4, got {image_size}")
        self.in_channels, self.image_size = in_channels, image_size
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, c1, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(c1, c2, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        )
        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(c2 * s * s, hidden), nn.ReLU(),
                                        nn.Linear(hidden, num_classes))

    def forward(self, x):
        if x.ndim != 4 or tuple(x.shape[1:]) != (self.in_channels, self.image_size, self.image_size):
            raise ValueError(f"SimpleCNN: expected input (N, {self.in_channels}, {self.image_size}, "
                             f"{self.image_size}), got shape {tuple(x.shape)}")
        return self.classifier(self.features(x))


class CNN1d(nn.Module):
    """1-D CNN for (N, L) or (N, C, L) sequences: 3 x (conv1d stride 2 -> ReLU) -> Linear."""

    def __init__(self, input_size=40, num_classes=10, channels=25, in_channels=1):
        super().__init__()
        self.input_size, self.in_channels = input_size, in_channels
        self.conv1 = nn.Conv1d(in_channels, channels, 5, stride=2, padding=1)
        self.conv2 = nn.Conv1d(channels, channels, 3, stride=2, padding=1)
        self.conv3 = nn.Conv1d(channels, channels, 3, stride=2, padding=1)
        self.relu = nn.ReLU()
        n = input_size
        for k in (5, 3, 3):
            n = (n + 2 - k) // 2 + 1
        if n < 1:
            raise ValueError(f"CNN1d: input_size {input_size} is too short for three stride-2 convolutions")
        self.linear = nn.Linear(channels * n, num_classes)

    def forward(self, x):
        if x.ndim == 2:
            x = x.unsqueeze(1)
        if x.ndim != 3 or x.shape[1] != self.in_channels or x.shape[2] != self.input_size:
            raise ValueError(f"CNN1d: expected input (N, {self.input_size}) or (N, {self.in_channels}, "
                             f"{self.input_size}), got shape {tuple(x.shape)}")
        x = self.relu(self.conv1(x))
        x = self.relu(self.conv2(x))
        x = self.relu(self.conv3(x))
        return self.linear(x.flatten(1))
