"""Argument checks shared by the image models (autoencoders, GANs) built for (N, C, S, S) input."""


def quarter_size(owner, image_size):
    """``image_size // 4``, the side after two stride-2 layers; ``image_size`` must be divisible by 4."""
    if image_size % 4:
        raise ValueError(f"{owner}: image_size must be divisible by 4, got {image_size}")
    return image_size // 4


def check_images(owner, x, shape):
    """Raise unless ``x`` is a batch of images of ``shape`` (C, S, S)."""
    if tuple(x.shape[1:]) != tuple(shape):
        raise ValueError(f"{owner}: expected images (N, {', '.join(map(str, shape))}), got shape {tuple(x.shape)}")
