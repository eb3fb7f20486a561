"""Residual networks (He et al., 2016; seed 002 §4.4: skip connections, a^(l+2) = f(F(a^(l)) + a^(l))).

A basic block computes two 3x3 convolutions with BatchNorm and adds its input
back (the identity shortcut; a 1x1 convolution + BatchNorm when the shape
changes). The gradient then has a direct path through every block, which is
why a deep ResNet trains where the plain network of the same depth
(``skip=False``, see ``models.cnn.PlainCNN``) struggles. State-dict keys
follow torchvision (``conv1``, ``bn1``, ``layer1.0.conv1``, ``downsample``, ``fc``).
"""
from .. import nn


class BasicBlock(nn.Module):
    """conv3x3 -> BN -> ReLU -> conv3x3 -> BN, plus the shortcut, then ReLU (seed 002 §4.4)."""

    expansion = 1

    def __init__(self, in_planes, planes, stride=1, skip=True):
        super().__init__()
        self.skip = skip
        self.conv1 = nn.Conv2d(in_planes, planes, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU()
        self.conv2 = nn.Conv2d(planes, planes, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        if skip and (stride != 1 or in_planes != planes):
            self.downsample = nn.Sequential(nn.Conv2d(in_planes, planes, 1, stride=stride, bias=False),
                                            nn.BatchNorm2d(planes))
        else:
            self.downsample = None

    def forward(self, x):
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        if self.skip:
            out = out + (x if self.downsample is None else self.downsample(x))
        return self.relu(out)


class ResNet(nn.Module):
    """A CIFAR-style ResNet for small images: a 3x3 stem, stages of basic blocks, global average pooling, fc.

    ``num_blocks`` lists the blocks per stage and ``widths`` their channels;
    each stage after the first halves the spatial size. Depth (weighted
    layers) is 2 * sum(num_blocks) + 2; ``ResNet(num_blocks=(3, 3, 3))`` is ResNet-20.
    ``skip=False`` removes every shortcut (the plain network of seed 002 §4.4).
    """

    def __init__(self, num_blocks=(2, 2, 2), widths=(16, 32, 64), num_classes=10, in_channels=1, skip=True):
        super().__init__()
        if len(num_blocks) != len(widths) or not num_blocks:
            raise ValueError(f"{type(self).__name__}: num_blocks {num_blocks} and widths {widths} must be "
                             "non-empty and of the same length")
        self.in_channels, self.skip = in_channels, skip
        self.conv1 = nn.Conv2d(in_channels, widths[0], 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(widths[0])
        self.relu = nn.ReLU()
        in_planes = widths[0]
        for i, (n, w) in enumerate(zip(num_blocks, widths)):
            blocks = []
            for j in range(n):
                blocks.append(BasicBlock(in_planes, w, stride=2 if (i > 0 and j == 0) else 1, skip=skip))
                in_planes = w
            setattr(self, f"layer{i + 1}", nn.Sequential(*blocks))
        self.num_stages = len(num_blocks)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(in_planes, num_classes)
        self.depth = 2 * sum(num_blocks) + 2

    def forward(self, x):
        if x.ndim != 4 or x.shape[1] != self.in_channels:
            raise ValueError(f"{type(self).__name__}: expected input (N, {self.in_channels}, H, W), "
                             f"got shape {tuple(x.shape)}")
        x = self.relu(self.bn1(self.conv1(x)))
        for i in range(self.num_stages):
            x = getattr(self, f"layer{i + 1}")(x)
        return self.fc(self.avgpool(x).flatten(1))


def resnet20(num_classes=10, in_channels=3):
    """ResNet-20 of He et al. (2016), CIFAR set-up: 3 stages of 3 blocks, widths 16/32/64."""
    return ResNet((3, 3, 3), (16, 32, 64), num_classes, in_channels)
