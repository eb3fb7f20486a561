"""Variational autoencoders (seed 002 §4.9; Kingma & Welling, 2014).

The encoder maps x to the mean mu and the log-variance log sigma^2 of a
Gaussian q(z | x); a code is drawn with the reparameterisation trick,
z = mu + sigma * eps with eps ~ N(0, I), so the sample is a differentiable
function of mu and sigma; the decoder maps z back to x. Training maximises
the ELBO, i.e. minimises

    reconstruction(x, x_hat) + beta * KL(q(z|x) || N(0, I)),
    KL = -1/2 sum(1 + log sigma^2 - mu^2 - sigma^2),

and new data come from decoding z ~ N(0, I) (:meth:`VAE.sample`).
"""
from .. import nn
from ..creation import randn, randn_like
from ..nn import functional as F
from .autoencoder import ConvDecoder, ConvEncoder, _check_image


def vae_loss(recon, x, mu, logvar, beta=1.0, reconstruction="bce"):
    """Negative ELBO per sample: (reconstruction summed over features + beta * KL) / batch size.

    ``recon`` are probabilities in [0, 1] for ``reconstruction='bce'`` (binary
    data, as the digits in [0, 1]) or any values for 'mse'. Returns
    ``(loss, reconstruction term, KL term)``, each a mean over the batch.
    """
    if tuple(recon.shape) != tuple(x.shape):
        raise ValueError(f"vae_loss: reconstruction shape {tuple(recon.shape)} != input shape {tuple(x.shape)}")
    n = x.shape[0]
    if reconstruction == "bce":
        rec = F.binary_cross_entropy(recon, x, reduction="sum") / n
    elif reconstruction == "mse":
        rec = F.mse_loss(recon, x, reduction="sum") / n
    else:
        raise ValueError(f"vae_loss: reconstruction must be 'bce' or 'mse', got {reconstruction!r}")
    kl = (-0.5) * (1 + logvar - mu * mu - logvar.exp()).sum() / n
    return rec + beta * kl, rec, kl


class _VAEBase(nn.Module):
    latent_dim = 2

    def reparameterize(self, mu, logvar):
        """z = mu + exp(logvar / 2) * eps, eps ~ N(0, I) in training; z = mu in eval mode."""
        if not self.training:
            return mu
        return mu + (logvar * 0.5).exp() * randn_like(mu)

    def forward(self, x):
        mu, logvar = self.encode(x)
        z = self.reparameterize(mu, logvar)
        return self.decode(z), mu, logvar

    def sample(self, n):
        """Decode n codes drawn from the prior N(0, I) (the generative use of seed 002 §4.9)."""
        w = next(iter(self.parameters()))
        return self.decode(randn(n, self.latent_dim, dtype=w.dtype))


class VAE(_VAEBase):
    """Dense VAE: in -> hidden -> (mu, logvar) of size latent_dim; latent -> hidden -> in, sigmoid."""

    def __init__(self, in_features=64, latent_dim=2, hidden=128):
        super().__init__()
        self.in_features, self.latent_dim = in_features, latent_dim
        self.encoder = nn.Sequential(nn.Linear(in_features, hidden), nn.ReLU())
        self.fc_mu = nn.Linear(hidden, latent_dim)
        self.fc_logvar = nn.Linear(hidden, latent_dim)
        self.decoder = nn.Sequential(nn.Linear(latent_dim, hidden), nn.ReLU(), nn.Linear(hidden, in_features),
                                     nn.Sigmoid())

    def encode(self, x):
        if x.ndim != 2 or x.shape[1] != self.in_features:
            raise ValueError(f"VAE: expected inputs (N, {self.in_features}), got shape {tuple(x.shape)}")
        h = self.encoder(x)
        return self.fc_mu(h), self.fc_logvar(h)

    def decode(self, z):
        return self.decoder(z)


class ConvVAE(_VAEBase):
    """Convolutional VAE: strided convolutions to (mu, logvar), transposed convolutions back (seed 002 §4.9)."""

    def __init__(self, in_channels=1, image_size=8, latent_dim=2, channels=(16, 32), hidden=64):
        super().__init__()
        self.in_channels, self.image_size, self.latent_dim = in_channels, image_size, latent_dim
        self.encoder = nn.Sequential(ConvEncoder(in_channels, image_size, hidden, channels), nn.ReLU())
        self.fc_mu = nn.Linear(hidden, latent_dim)
        self.fc_logvar = nn.Linear(hidden, latent_dim)
        self.decoder = ConvDecoder(latent_dim, in_channels, image_size, channels[::-1])

    def encode(self, x):
        _check_image(self, x)
        h = self.encoder(x)
        return self.fc_mu(h), self.fc_logvar(h)

    def decode(self, z):
        return self.decoder(z)
