"""Memory-layout helpers and the kernels that return permuted or gapped views (ops/layout.py)."""
import numpy as np
import pytest

import gradiente as g
import gradiente.nn.functional as F
from gradiente.ops.layout import dense_cover, dense_view, empty_in_order, memory_order


def test_memory_order_and_empty_in_order():
    a = np.empty((2, 3, 4, 5), np.float32).transpose(1, 2, 3, 0)
    assert memory_order(a) == [3, 0, 1, 2]
    b = np.empty((3, 4, 5, 2), np.float32).transpose(3, 0, 1, 2)  # (N, C, H, W) with the images innermost
    assert memory_order(b) == [1, 2, 3, 0]
    e = empty_in_order((2, 3, 4, 5), [1, 2, 3, 0], np.float32)
    assert e.shape == (2, 3, 4, 5) and memory_order(e) == [1, 2, 3, 0]
    assert e.transpose(1, 2, 3, 0).flags.c_contiguous


def test_dense_view_of_permuted_and_sliced_arrays():
    a = np.arange(120, dtype=np.float32).reshape(2, 3, 4, 5)
    view, restore = dense_view(a.transpose(2, 0, 3, 1))
    assert view.flags.c_contiguous and np.array_equal(view.transpose(restore), a.transpose(2, 0, 3, 1))
    assert dense_view(a[:, :, ::2]) is None  # strided slice: no permutation makes it contiguous


def test_dense_cover_of_rows_with_gaps():
    buf = np.arange(6 * 4 * 5 * 8, dtype=np.float32).reshape(6, 4, 5, 8)
    a = buf[..., :5].swapaxes(0, 1)  # (4, 6, 5, 5) with 3 values between rows, as a flat convolution returns
    view, restore, used = dense_cover(a)
    assert view.shape == (6, 4, 5, 8) and used == 5
    assert np.array_equal(view[..., :used].transpose(restore), a)
    view, restore, used = dense_cover(buf)  # dense: no gaps
    assert used is None and view.shape == buf.shape
    assert dense_cover(buf[:, 1:3, :, :5]) is None  # the rows are not evenly spaced over the buffer
    exact = np.arange(3 * 4 * 7, dtype=np.float32).reshape(3, 4, 7)
    assert dense_cover(exact[:, :, :5]) is not None
    assert dense_cover(np.ascontiguousarray(exact[:, :, :5])[..., :4]) is not None
    assert dense_cover(exact[:, :, 2:]) is None  # the rows' first values are not the buffer's


def test_relu_on_gapped_and_permuted_views_keeps_values_and_nan():
    buf = np.random.default_rng(0).standard_normal((6, 64, 10, 9)).astype(np.float32)
    buf[0, 0, 0, 0] = np.nan
    a = buf[..., :6].swapaxes(0, 1)  # 23,040 values: the blocked path over whole rows
    assert a.size >= 2 * 8192 and dense_cover(a)[2] == 6
    out = g.relu(g.Tensor(a)).numpy()
    np.testing.assert_array_equal(out, np.maximum(a, 0))
    assert np.isnan(out[0, 0, 0, 0])


def test_inference_convolution_returns_a_gapped_view_with_torch_values():
    """Without a gradient, stride-1 convolutions write their products straight into padded-width rows."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    x, w, b = (rng.standard_normal(s).astype(np.float32) for s in ((3, 4, 20, 20), (16, 4, 3, 3), (16,)))
    with g.no_grad():
        y = F.conv2d(g.tensor(x), g.tensor(w), g.tensor(b), padding=1)
        pooled = F.max_pool2d(F.relu(y), 2)
    assert not y.numpy().flags.c_contiguous and dense_cover(y.numpy())[2] == 20
    yt = torch.nn.functional.conv2d(torch.tensor(x), torch.tensor(w), torch.tensor(b), padding=1)
    np.testing.assert_allclose(y.numpy(), yt.numpy(), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(pooled.numpy(), torch.nn.functional.max_pool2d(torch.relu(yt), 2).numpy(),
                               rtol=1e-5, atol=1e-5)
