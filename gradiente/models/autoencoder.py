"""Autoencoders (seed 002 §4.9): an encoder compresses x to a small code z, a decoder rebuilds x from z,
and the network is trained to make the reconstruction x_hat close to x (MSE or BCE).

The bottleneck forces the code to keep only what matters to rebuild the
input. :class:`Autoencoder` is dense; :class:`ConvAutoencoder` downsamples
with strided convolutions and upsamples back with transposed convolutions
(seed 002 §4.9), for (N, C, S, S) images with S divisible by 4.
"""
from .. import nn
from ._images import check_images, quarter_size


def _check_image(model, x):
    s = model.image_size
    check_images(type(model).__name__, x, (model.in_channels, s, s))


class Autoencoder(nn.Module):
    """Dense autoencoder: in -> hidden -> latent -> hidden -> in, sigmoid output (data in [0, 1])."""

    def __init__(self, in_features=64, latent_dim=8, hidden=128):
        super().__init__()
        self.in_features = in_features
        self.encoder = nn.Sequential(nn.Linear(in_features, hidden), nn.ReLU(), nn.Linear(hidden, latent_dim))
        self.decoder = nn.Sequential(nn.Linear(latent_dim, hidden), nn.ReLU(), nn.Linear(hidden, in_features),
                                     nn.Sigmoid())

    def encode(self, x):
        if x.shape[-1] != self.in_features and x.ndim > 2:
            x = x.flatten(1)
        if x.shape[-1] != self.in_features:
            raise ValueError(f"Autoencoder: expected inputs with {self.in_features} features, got shape "
                             f"{tuple(x.shape)}")
        return self.encoder(x)

    def decode(self, z):
        return self.decoder(z)

    def forward(self, x):
        shape = x.shape
        out = self.decode(self.encode(x))
        return out.reshape(shape) if len(shape) > 2 else out


class ConvEncoder(nn.Module):
    """Two stride-2 convolutions (S -> S/2 -> S/4) and a linear map to ``out_features``."""

    def __init__(self, in_channels, image_size, out_features, channels=(16, 32)):
        super().__init__()
        c1, c2 = channels
        s = quarter_size("ConvEncoder", image_size)
        self.net = nn.Sequential(
            nn.Conv2d(in_channels, c1, 3, stride=2, padding=1), nn.ReLU(),
            nn.Conv2d(c1, c2, 3, stride=2, padding=1), nn.ReLU(),
            nn.Flatten(), nn.Linear(c2 * s * s, out_features),
        )

    def forward(self, x):
        return self.net(x)


class ConvDecoder(nn.Module):
    """A linear map to (C2, S/4, S/4), then two stride-2 transposed convolutions back to (C, S, S), sigmoid."""

    def __init__(self, latent_dim, out_channels, image_size, channels=(32, 16)):
        super().__init__()
        c2, c1 = channels
        s = quarter_size("ConvDecoder", image_size)
        self.net = nn.Sequential(
            nn.Linear(latent_dim, c2 * s * s), nn.ReLU(), nn.Unflatten(1, (c2, s, s)),
            nn.ConvTranspose2d(c2, c1, 4, stride=2, padding=1), nn.ReLU(),
            nn.ConvTranspose2d(c1, out_channels, 4, stride=2, padding=1), nn.Sigmoid(),
        )

    def forward(self, z):
        return self.net(z)


class ConvAutoencoder(nn.Module):
    """Convolutional autoencoder: strided convolutions down, transposed convolutions up (seed 002 §4.9)."""

    def __init__(self, in_channels=1, image_size=8, latent_dim=8, channels=(16, 32)):
        super().__init__()
        self.in_channels, self.image_size = in_channels, image_size
        self.encoder = ConvEncoder(in_channels, image_size, latent_dim, channels)
        self.decoder = ConvDecoder(latent_dim, in_channels, image_size, channels[::-1])

    def encode(self, x):
        _check_image(self, x)
        return self.encoder(x)

    def decode(self, z):
        return self.decoder(z)

    def forward(self, x):
        return self.decode(self.encode(x))
