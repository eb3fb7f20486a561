"""Shared pieces of the convolutional and generative experiments (no experiment is registered here)."""
import numpy as np

from gradiente import nn


def shift_images(X, dy, dx):
    """Translate (N, C, H, W) images by (dy, dx) pixels, filling with zeros (seed 000 §5: translation)."""
    out = np.zeros_like(X)
    H, W = X.shape[-2:]
    ys, yd = (slice(0, H - dy), slice(dy, H)) if dy >= 0 else (slice(-dy, H), slice(0, H + dy))
    xs, xd = (slice(0, W - dx), slice(dx, W)) if dx >= 0 else (slice(-dx, W), slice(0, W + dx))
    out[..., yd, xd] = X[..., ys, xs]
    return out


def shifted_accuracy(model, X, y, shift):
    """Mean accuracy over the four translations by ``shift`` pixels (up, down, left, right)."""
    import gradiente as g

    accs = []
    model.eval()
    with g.no_grad():
        for dy, dx in ((shift, 0), (-shift, 0), (0, shift), (0, -shift)):
            out = model(g.tensor(shift_images(X, dy, dx)))
            accs.append(float((out.numpy().argmax(1) == y).mean()))
    return float(np.mean(accs))


class FlatMLP(nn.Module):
    """Flatten the image, then in -> hidden... -> classes with ReLU (the dense baseline)."""

    def __init__(self, in_features, hidden, num_classes=10):
        super().__init__()
        layers, prev = [nn.Flatten()], in_features
        for h in hidden:
            layers += [nn.Linear(prev, h), nn.ReLU()]
            prev = h
        layers.append(nn.Linear(prev, num_classes))
        self.net = nn.Sequential(*layers)

    def forward(self, x):
        return self.net(x)


def weight_grad_norm(module):
    g = module.weight.grad
    return 0.0 if g is None else float(np.sqrt(np.sum(np.square(g.numpy(), dtype=np.float64))))
