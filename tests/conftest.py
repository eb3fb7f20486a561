"""Shared test helpers: PyTorch is optional (parity tests skip cleanly without it)."""
import numpy as np
import pytest

import gradiente as g


@pytest.fixture(autouse=True)
def _seed():
    g.manual_seed(0)
    np.random.seed(0)
    yield


def torch_or_skip():
    """Return the torch module, or skip the calling test when it is not installed."""
    return pytest.importorskip("torch")
