"""Convolutional and generative models: parity with PyTorch twins, losses, sampling, data, quick training."""
import numpy as np
import pytest

import gradiente as g
from gradiente import nn
from gradiente.models import (CNN1d, GAN, VAE, Autoencoder, ConvAutoencoder, ConvVAE, DCGANDiscriminator,
                              DCGANGenerator, Discriminator, Generator, LeNet5, PlainCNN, ResNet, SimpleCNN,
                              vae_loss)
from gradiente.models.gan import image_grid


def _copy_to(ours, theirs):
    sd = theirs.state_dict()
    assert list(ours.state_dict().keys()) == list(sd.keys())
    ours.load_state_dict({k: g.tensor(v.detach().numpy()) for k, v in sd.items()})


def _torch_lenet(torch):
    tn = torch.nn

    class TLeNet(tn.Module):
        def __init__(self):
            super().__init__()
            self.features = tn.Sequential(tn.Conv2d(1, 6, 5, padding=2), tn.ReLU(), tn.MaxPool2d(2),
                                          tn.Conv2d(6, 16, 5), tn.ReLU(), tn.MaxPool2d(2))
            self.classifier = tn.Sequential(tn.Flatten(), tn.Linear(400, 120), tn.ReLU(), tn.Linear(120, 84),
                                            tn.ReLU(), tn.Linear(84, 10))

        def forward(self, x):
            return self.classifier(self.features(x))
    return TLeNet()


def _torch_resnet(torch, skip=True):
    tn = torch.nn

    class Block(tn.Module):
        def __init__(self, i, o, s):
            super().__init__()
            self.conv1 = tn.Conv2d(i, o, 3, s, 1, bias=False)
            self.bn1 = tn.BatchNorm2d(o)
            self.relu = tn.ReLU()
            self.conv2 = tn.Conv2d(o, o, 3, 1, 1, bias=False)
            self.bn2 = tn.BatchNorm2d(o)
            self.downsample = (tn.Sequential(tn.Conv2d(i, o, 1, s, bias=False), tn.BatchNorm2d(o))
                               if skip and (s != 1 or i != o) else None)

        def forward(self, x):
            out = self.bn2(self.conv2(self.relu(self.bn1(self.conv1(x)))))
            if skip:
                out = out + (x if self.downsample is None else self.downsample(x))
            return self.relu(out)

    class Net(tn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = tn.Conv2d(1, 4, 3, 1, 1, bias=False)
            self.bn1 = tn.BatchNorm2d(4)
            self.relu = tn.ReLU()
            self.layer1 = tn.Sequential(Block(4, 4, 1))
            self.layer2 = tn.Sequential(Block(4, 8, 2), Block(8, 8, 1))
            self.avgpool = tn.AdaptiveAvgPool2d(1)
            self.fc = tn.Linear(8, 3)

        def forward(self, x):
            x = self.layer2(self.layer1(self.relu(self.bn1(self.conv1(x)))))
            return self.fc(self.avgpool(x).flatten(1))
    return Net()


def _parity(ours, theirs, x, torch, rtol=1e-4, atol=1e-4):
    _copy_to(ours, theirs)
    xg, xt = g.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    y, yt = ours(xg), theirs(xt)
    np.testing.assert_allclose(y.numpy(), yt.detach().numpy(), rtol=rtol, atol=atol)
    y.sum().backward()
    yt.sum().backward()
    np.testing.assert_allclose(xg.grad.numpy(), xt.grad.numpy(), rtol=rtol, atol=atol)
    for (k, p), q in zip(ours.named_parameters(), theirs.parameters()):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=rtol, atol=atol, err_msg=k)


def test_lenet_matches_torch():
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(0).standard_normal((4, 1, 28, 28)).astype(np.float32)
    _parity(LeNet5(), _torch_lenet(torch), x, torch)


@pytest.mark.parametrize("skip", [True, False])
def test_resnet_and_plain_cnn_match_torch(skip):
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(1).standard_normal((3, 1, 8, 8)).astype(np.float32)
    ours = ResNet((1, 2), (4, 8), num_classes=3) if skip else PlainCNN((1, 2), (4, 8), num_classes=3)
    _parity(ours, _torch_resnet(torch, skip), x, torch)
    assert ours.depth == 8


def test_cnn1d_matches_torch():
    torch = pytest.importorskip("torch")
    tn = torch.nn

    class T(tn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = tn.Conv1d(1, 25, 5, 2, 1)
            self.conv2 = tn.Conv1d(25, 25, 3, 2, 1)
            self.conv3 = tn.Conv1d(25, 25, 3, 2, 1)
            self.linear = tn.Linear(125, 10)

        def forward(self, x):
            x = x.unsqueeze(1)
            for c in (self.conv1, self.conv2, self.conv3):
                x = c(x).relu()
            return self.linear(x.flatten(1))
    x = np.random.default_rng(2).standard_normal((5, 40)).astype(np.float32)
    _parity(CNN1d(), T(), x, torch)


def test_vae_loss_is_the_negative_elbo():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    x = rng.uniform(0, 1, (4, 6)).astype(np.float32)
    r = rng.uniform(0.05, 0.95, (4, 6)).astype(np.float32)
    mu, lv = rng.standard_normal((4, 2)).astype(np.float32), rng.standard_normal((4, 2)).astype(np.float32)
    loss, rec, kl = vae_loss(g.tensor(r), g.tensor(x), g.tensor(mu), g.tensor(lv))
    T = torch.tensor
    rec_t = torch.nn.functional.binary_cross_entropy(T(r), T(x), reduction="sum") / 4
    kl_t = -0.5 * (1 + T(lv) - T(mu) ** 2 - T(lv).exp()).sum() / 4
    np.testing.assert_allclose(rec.item(), rec_t.item(), rtol=1e-5)
    np.testing.assert_allclose(kl.item(), kl_t.item(), rtol=1e-5)
    np.testing.assert_allclose(loss.item(), (rec_t + kl_t).item(), rtol=1e-5)


def test_vae_reparameterisation_and_sampling():
    vae = ConvVAE(latent_dim=3)
    x = g.rand(5, 1, 8, 8)
    recon, mu, logvar = vae(x)
    assert tuple(recon.shape) == (5, 1, 8, 8) and tuple(mu.shape) == (5, 3)
    loss, _, _ = vae_loss(recon, x, mu, logvar)
    loss.backward()
    assert all(p.grad is not None for p in vae.parameters())
    vae.eval()
    mu2, _ = vae.encode(x)
    np.testing.assert_allclose(vae.reparameterize(mu2, g.zeros(5, 3)).numpy(), mu2.numpy())
    s = VAE(in_features=64, latent_dim=2).sample(7)
    assert tuple(s.shape) == (7, 64) and s.numpy().min() >= 0 and s.numpy().max() <= 1
    with pytest.raises(ValueError, match="VAE: expected inputs"):
        VAE(in_features=64)(g.rand(2, 10))
    with pytest.raises(ValueError, match="reconstruction shape"):
        vae_loss(g.rand(2, 3), g.rand(2, 4), g.zeros(2, 1), g.zeros(2, 1))


def test_autoencoders_learn_to_reconstruct():
    g.manual_seed(0)
    x = g.tensor((np.random.default_rng(4).uniform(0, 1, (32, 1, 8, 8)) > 0.5).astype(np.float32))
    for model in (ConvAutoencoder(latent_dim=16), Autoencoder(latent_dim=16)):
        opt = g.optim.Adam(model.parameters(), lr=1e-2)
        first = None
        for _ in range(40):
            loss = nn.functional.mse_loss(model(x), x)
            opt.zero_grad()
            loss.backward()
            opt.step()
            first = first if first is not None else loss.item()
        assert loss.item() < 0.6 * first


@pytest.mark.parametrize("dc", [True, False])
def test_gan_train_step_updates_both_players(dc):
    gen, disc = (DCGANGenerator(8), DCGANDiscriminator()) if dc else (Generator(8), Discriminator())
    gan = GAN(gen, disc)
    before_g = [p.numpy().copy() for p in gen.parameters()]
    before_d = [p.numpy().copy() for p in disc.parameters()]
    d, gl = gan.train_step(g.rand(6, 1, 8, 8), g.optim.Adam(gen.parameters(), 1e-3),
                           g.optim.Adam(disc.parameters(), 1e-3))
    assert np.isfinite(d) and np.isfinite(gl)
    assert any(not np.array_equal(a, p.numpy()) for a, p in zip(before_g, gen.parameters()))
    assert any(not np.array_equal(a, p.numpy()) for a, p in zip(before_d, disc.parameters()))
    assert tuple(gan.sample(3).shape) == (3, 1, 8, 8)
    assert all(p.requires_grad for p in disc.parameters())
    with pytest.raises(ValueError, match="Discriminator: expected images"):
        disc(g.rand(2, 1, 6, 6))


def test_image_grid_layout():
    grid = image_grid(np.zeros((5, 1, 8, 8)), nrow=3, pad=1)
    assert grid.shape == (2 * 9 + 1, 3 * 9 + 1)
    assert grid[1:9, 1:9].max() == 0 and grid[0].min() == 1


@pytest.mark.parametrize("build,x,match", [
    (lambda: LeNet5(), g.randn(1, 1, 8, 8), r"LeNet5: expected input \(N, 1, 28, 28\)"),
    (lambda: LeNet5(activation="gelu"), None, "activation must be one of"),
    (lambda: SimpleCNN(), g.randn(1, 3, 8, 8), "SimpleCNN: expected input"),
    (lambda: CNN1d(), g.randn(2, 30), r"CNN1d: expected input \(N, 40\)"),
    (lambda: ResNet((1,), (4, 8)), None, "same length"),
    (lambda: ConvAutoencoder(image_size=10), None, "divisible by 4"),
])
def test_model_errors(build, x, match):
    with pytest.raises(ValueError, match=match):
        m = build()
        m(x)


def test_lenet_on_digits_learns():
    pytest.importorskip("sklearn")
    from gradiente.data.datasets import load_digits
    X, y = load_digits(flatten=False)
    perm = np.random.default_rng(0).permutation(len(X))
    X, y = X.numpy()[perm], y.numpy()[perm]
    g.manual_seed(0)
    model = LeNet5(image_size=8)
    opt = g.optim.Adam(model.parameters(), lr=2e-3)
    loss_fn = nn.CrossEntropyLoss()
    rng = np.random.default_rng(0)
    for _ in range(6):
        for idx in np.array_split(rng.permutation(1400), 44):
            loss = loss_fn(model(g.tensor(X[idx])), g.tensor(y[idx]))
            opt.zero_grad()
            loss.backward()
            opt.step()
    model.eval()
    with g.no_grad():
        acc = (model(g.tensor(X[1400:])).numpy().argmax(1) == y[1400:]).mean()
    assert acc > 0.9


def test_mnist1d_cache_roundtrip(tmp_path, monkeypatch):
    from gradiente.data.datasets import mnist1d as m

    calls = []

    def fake(shuffle_seq, seed):
        calls.append((shuffle_seq, seed))
        r = np.random.default_rng(seed)
        return {"x": r.standard_normal((8, 40)).astype(np.float32), "y": np.arange(8) % 10,
                "x_test": r.standard_normal((2, 40)).astype(np.float32), "y_test": np.arange(2)}

    monkeypatch.setenv("GRADIENTE_CACHE", str(tmp_path))
    monkeypatch.setattr(m, "_generate", fake)
    a = m.load_mnist1d(as_tensor=False)
    b = m.load_mnist1d()
    assert calls == [(False, 42)]
    np.testing.assert_array_equal(a[0], b[0].numpy())
    assert (tmp_path / "mnist1d_seed42.npz").exists()
    m.load_mnist1d(shuffle_seq=True)
    assert calls[-1] == (True, 42) and (tmp_path / "mnist1d_seed42_shuffled.npz").exists()
    assert not list(tmp_path.glob("*.tmp*"))


def test_mnist1d_missing_package_names_the_extra(monkeypatch):
    import sys

    from gradiente.data.datasets import mnist1d as m
    monkeypatch.setitem(sys.modules, "mnist1d", None)
    monkeypatch.setitem(sys.modules, "mnist1d.data", None)
    with pytest.raises(ImportError, match=r"gradiente\[data\]"):
        m._generate(False, 42)
