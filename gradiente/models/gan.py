"""Generative adversarial networks (seed 002 §4.10; Goodfellow et al., 2014; DCGAN, Radford et al., 2016).

A generator G maps noise z ~ N(0, I) to data; a discriminator D outputs the
logit of "this sample is real". They play the minimax game

    min_G max_D  E_x[log D(x)] + E_z[log(1 - D(G(z)))],

trained alternately with binary cross-entropy: a D step on real (label 1)
and generated (label 0) samples, then a G step that labels its samples 1
(the non-saturating loss -log D(G(z)), which gives G strong gradients early).
Dense and DCGAN-style (transposed convolutions, BatchNorm, LeakyReLU) variants
for (N, C, S, S) images in [0, 1] with S divisible by 4.
"""
import numpy as _np

from .. import nn
from ..autograd import no_grad
from ..creation import ones, randn, zeros
from ..nn import functional as F
from ._images import check_images, quarter_size


class Generator(nn.Module):
    """Dense generator: z -> hidden -> hidden -> C*S*S, sigmoid, reshaped to images."""

    def __init__(self, latent_dim=16, out_channels=1, image_size=8, hidden=128):
        super().__init__()
        self.latent_dim, self.shape = latent_dim, (out_channels, image_size, image_size)
        d = out_channels * image_size * image_size
        self.net = nn.Sequential(nn.Linear(latent_dim, hidden), nn.LeakyReLU(0.2), nn.Linear(hidden, hidden),
                                 nn.LeakyReLU(0.2), nn.Linear(hidden, d), nn.Sigmoid())

    def forward(self, z):
        return self.net(z).reshape((z.shape[0],) + self.shape)


class Discriminator(nn.Module):
    """Dense discriminator: image -> hidden -> 1 logit (LeakyReLU 0.2)."""

    def __init__(self, in_channels=1, image_size=8, hidden=128):
        super().__init__()
        self.shape = (in_channels, image_size, image_size)
        d = in_channels * image_size * image_size
        self.net = nn.Sequential(nn.Flatten(), nn.Linear(d, hidden), nn.LeakyReLU(0.2), nn.Linear(hidden, hidden),
                                 nn.LeakyReLU(0.2), nn.Linear(hidden, 1))

    def forward(self, x):
        check_images("Discriminator", x, self.shape)
        return self.net(x)


class DCGANGenerator(nn.Module):
    """z (N, latent) -> ConvT to (2c, S/4, S/4) -> BN, ReLU -> ConvT x2 to (c, S/2) then (C, S), sigmoid."""

    def __init__(self, latent_dim=16, out_channels=1, image_size=8, channels=32):
        super().__init__()
        self.latent_dim = latent_dim
        s = quarter_size("DCGANGenerator", image_size)
        self.net = nn.Sequential(
            nn.Unflatten(1, (latent_dim, 1, 1)),
            nn.ConvTranspose2d(latent_dim, 2 * channels, s, 1, 0, bias=False), nn.BatchNorm2d(2 * channels), nn.ReLU(),
            nn.ConvTranspose2d(2 * channels, channels, 4, 2, 1, bias=False), nn.BatchNorm2d(channels), nn.ReLU(),
            nn.ConvTranspose2d(channels, out_channels, 4, 2, 1), nn.Sigmoid(),
        )

    def forward(self, z):
        return self.net(z)


class DCGANDiscriminator(nn.Module):
    """Image -> Conv s2 + LeakyReLU -> Conv s2 + BN + LeakyReLU -> Linear to 1 logit."""

    def __init__(self, in_channels=1, image_size=8, channels=32):
        super().__init__()
        s = quarter_size("DCGANDiscriminator", image_size)
        self.shape = (in_channels, image_size, image_size)
        self.net = nn.Sequential(
            nn.Conv2d(in_channels, channels, 4, 2, 1), nn.LeakyReLU(0.2),
            nn.Conv2d(channels, 2 * channels, 4, 2, 1, bias=False), nn.BatchNorm2d(2 * channels), nn.LeakyReLU(0.2),
            nn.Flatten(), nn.Linear(2 * channels * s * s, 1),
        )

    def forward(self, x):
        check_images("DCGANDiscriminator", x, self.shape)
        return self.net(x)


class GAN(nn.Module):
    """A generator and a discriminator trained alternately with BCE (seed 002 §4.10)."""

    def __init__(self, generator, discriminator):
        super().__init__()
        self.generator, self.discriminator = generator, discriminator
        self.latent_dim = generator.latent_dim

    def sample(self, n):
        """n generated samples from z ~ N(0, I)."""
        w = next(iter(self.generator.parameters()))
        return self.generator(randn(n, self.latent_dim, dtype=w.dtype))

    def forward(self, z):
        return self.generator(z)

    def train_step(self, real, opt_g, opt_d):
        """One discriminator step then one generator step; returns (d_loss, g_loss) as floats."""
        n = real.shape[0]
        w = next(iter(self.generator.parameters()))
        real_lbl, fake_lbl = ones(n, 1, dtype=w.dtype), zeros(n, 1, dtype=w.dtype)
        z = randn(n, self.latent_dim, dtype=w.dtype)
        with no_grad():
            fake = self.generator(z)
        d_loss = (F.binary_cross_entropy_with_logits(self.discriminator(real), real_lbl)
                  + F.binary_cross_entropy_with_logits(self.discriminator(fake), fake_lbl))
        opt_d.zero_grad()
        d_loss.backward()
        opt_d.step()
        d_params = [p for p in self.discriminator.parameters() if p.requires_grad]
        for p in d_params:  # the G step needs gradients through D, not for D's own weights
            p.requires_grad_(False)
        try:
            fake = self.generator(randn(n, self.latent_dim, dtype=w.dtype))
            g_loss = F.binary_cross_entropy_with_logits(self.discriminator(fake), real_lbl)
            opt_g.zero_grad()
            g_loss.backward()
            opt_g.step()
        finally:
            for p in d_params:
                p.requires_grad_(True)
        return float(d_loss.item()), float(g_loss.item())


def image_grid(images, nrow=8, pad=1):
    """Tile (N, C, H, W) or (N, H, W) images in [0, 1] into one (rows*(H+pad), nrow*(W+pad)[, C]) array."""
    a = _np.asarray(images.numpy() if hasattr(images, "numpy") else images, dtype=_np.float32)
    if a.ndim == 4:
        a = a[:, 0] if a.shape[1] == 1 else a.transpose(0, 2, 3, 1)
    n, h, w = a.shape[:3]
    rows = -(-n // nrow)
    grid = _np.ones((rows * (h + pad) + pad, nrow * (w + pad) + pad) + a.shape[3:], dtype=_np.float32)
    for k in range(n):
        r, c = divmod(k, nrow)
        grid[pad + r * (h + pad):pad + r * (h + pad) + h, pad + c * (w + pad):pad + c * (w + pad) + w] = a[k]
    return grid


def save_image_grid(images, path, nrow=8, title=None):
    """Save a grid of images in [0, 1] as a PNG (needs matplotlib: pip install gradiente[lab])."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ImportError("save_image_grid needs matplotlib: pip install gradiente[lab]") from exc
    grid = image_grid(images, nrow)
    fig, ax = plt.subplots(figsize=(grid.shape[1] / 12 + 1, grid.shape[0] / 12 + 1))
    ax.imshow(grid, cmap="gray_r" if grid.ndim == 2 else None, vmin=0, vmax=1, interpolation="nearest")
    ax.axis("off")
    if title:
        ax.set_title(title)
    fig.savefig(path, dpi=100, bbox_inches="tight")
    plt.close(fig)
    return path
