"""The public API follows PyTorch's (issue 2): code written for torch's core runs by changing the import."""
import numpy as np
import pytest

import gradiente as g


def _regression_script(torch, x_np, y_np, w_np):
    """A few steps of plain gradient descent written the PyTorch way, for any torch-like module."""
    torch.manual_seed(0)
    x = torch.tensor(x_np)
    y = torch.tensor(y_np)
    w = torch.tensor(w_np, requires_grad=True)
    b = torch.zeros(1, requires_grad=True)
    losses = []
    for _ in range(5):
        pred = (x @ w).squeeze(-1) + b
        loss = ((pred - y) ** 2).mean() + 0.01 * w.pow(2).sum()
        loss.backward()
        with torch.no_grad():
            w -= 0.1 * w.grad
            b -= 0.1 * b.grad
            w.grad.zero_()
            b.grad.zero_()
        losses.append(loss.item())
    h = torch.cat([x, x.sum(dim=1, keepdim=True)], dim=1).T.reshape(-1).view(4, -1).permute(1, 0)
    stats = torch.stack([h.max(), h.min(), h.mean(), h.std(), torch.where(h > 0, h, 0.0).sum()])
    idx = h.argmax(dim=1)
    return np.array(losses), w.detach().numpy().copy(), stats.numpy(), idx.numpy()


def test_pytorch_script_runs_by_changing_the_import():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    args = (rng.standard_normal((6, 3)).astype(np.float32), rng.standard_normal(6).astype(np.float32),
            rng.standard_normal((3, 1)).astype(np.float32))
    ours, theirs = _regression_script(g, *args), _regression_script(torch, *args)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_constructors_and_dtypes():
    assert g.tensor([1.0, 2.0]).dtype == g.float32 == np.float32
    assert g.tensor([1, 2]).dtype == g.int64 and g.tensor(True).dtype == g.bool
    assert g.tensor(np.ones(2)).dtype == g.float64  # NumPy arrays keep their dtype, as torch.tensor
    assert g.zeros(2, 3).shape == (2, 3) and g.zeros((2, 3)).shape == (2, 3)
    assert g.ones(2, dtype=g.float64).dtype == np.float64
    assert g.zeros(2, 3, dtype=g.long).dtype == np.int64
    assert g.arange(5).tolist() == [0, 1, 2, 3, 4] and g.arange(5).dtype == g.int64
    assert g.arange(0, 1, 0.25).dtype == g.float32
    assert g.full((2, 2), 3.0).tolist() == [[3.0, 3.0], [3.0, 3.0]]
    assert g.eye(3).numpy().trace() == 3
    assert g.linspace(0, 1, 5).tolist() == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert g.randn(2, 3).dtype == g.float32 and g.rand(4).shape == (4,)
    assert g.randint(5, (3,)).shape == (3,) and g.randint(2, 5, (4,)).numpy().min() >= 2
    assert g.FloatTensor([1, 2]).dtype == np.float32 and g.LongTensor([1, 2]).dtype == np.int64
    assert g.zeros_like(g.ones(2, dtype=g.float64)).dtype == np.float64
    assert g.ones(3).new_zeros(2, 2).shape == (2, 2) and g.ones(3).new_tensor([1.0]).dtype == np.float32
    assert g.from_numpy(np.arange(3)).dtype == np.int64
    a = np.ones(3, np.float32)
    assert np.shares_memory(g.from_numpy(a).numpy(), a)
    assert not np.shares_memory(g.tensor(a).numpy(), a)


def test_tensor_attributes_and_conversions():
    x = g.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
    assert x.shape == (2, 3) and x.size() == (2, 3) and x.size(1) == 3 and x.dim() == 2 and x.ndim == 2
    assert x.numel() == x.nelement() == 6 and len(x) == 2
    assert x.is_leaf and x.requires_grad and x.grad is None and x.grad_fn is None
    assert x.is_floating_point() and not g.tensor([1]).is_floating_point()
    assert x.T.shape == (3, 2) and x.t().shape == (3, 2) and x.mT.shape == (3, 2)
    assert x.sum().item() == 21.0 and isinstance(x.sum().item(), float)
    assert x.tolist() == [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]
    assert float(x[0, 0]) == 1.0 and int(g.tensor(7)) == 7
    assert x.numpy().dtype == np.float32 and x.numpy().shape == (2, 3)
    assert x.to(g.float64).dtype == np.float64 and x.double().dtype == np.float64
    assert x.long().dtype == np.int64 and x.int().dtype == np.int32 and x.bool().dtype == np.bool_
    assert x.type_as(g.zeros(1, dtype=g.float64)).dtype == np.float64
    assert x.type() == "gradiente.FloatTensor"
    assert x.to("cpu") is x and x.device == "cpu" and g.device("cpu") == "cpu"
    assert not g.cuda.is_available()
    assert x.detach().clone().requires_grad is False
    assert repr(g.tensor([1.0, 2.0])) == "tensor([1., 2.])"
    assert "requires_grad=True" in repr(x) and "grad_fn=<MulBackward>" in repr(x * 2)
    assert repr(g.Size([2, 3])) == "Size([2, 3])"


def test_reductions_with_positional_dims_like_torch():
    x = g.arange(24.0).reshape(2, 3, 4)
    assert x.sum(0).shape == (3, 4) and g.sum(x, 1, True).shape == (2, 1, 4)
    assert x.mean(dim=(0, 2)).tolist() == [7.5, 11.5, 15.5]
    assert g.mean(x, -1).shape == (2, 3)
    values, indices = x.max(1)
    assert values.shape == (2, 4) and indices.tolist() == [[2] * 4] * 2
    assert g.max(x, dim=2, keepdim=True).indices.shape == (2, 3, 1)
    assert x.min(dim=0).values.tolist() == x[0].tolist()
    assert g.argmax(x).item() == 23 and x.argmin(dim=2).tolist() == [[0] * 3] * 2
    assert g.max(g.ones(2), g.zeros(2)).tolist() == [1.0, 1.0]


def test_comparisons_and_masks():
    x = g.tensor([1.0, -2.0, 3.0])
    assert (x > 0).dtype == np.bool_ and (x > 0).sum().item() == 2
    assert (x > 0).float().mean().item() == pytest.approx(2 / 3)
    assert (x == g.tensor([1.0, 0.0, 3.0])).tolist() == [True, False, True]
    assert g.equal(x, x.clone()) and not g.equal(x, x[:2])
    assert g.allclose(x, x + 1e-9) and x.allclose(x)
    assert x.masked_fill(x < 0, 0.0).tolist() == [1.0, 0.0, 3.0]
    assert g.where(x > 0)[0].tolist() == [0, 2]
    assert g.nonzero(x > 0).tolist() == [[0], [2]]
    assert ((x > 0) & (x < 2)).tolist() == [True, False, False]


def test_broadcast_shape_mismatch_names_op_and_both_shapes():
    for op, name in ((lambda a, b: a + b, "Add"), (lambda a, b: a * b, "Mul"), (lambda a, b: a - b, "Sub"),
                     (lambda a, b: a / b, "Div"), (g.maximum, "Maximum")):
        with pytest.raises(RuntimeError, match=rf"{name}: the shapes \(2, 3\), \(4,\) cannot be broadcast"):
            op(g.ones(2, 3), g.ones(4))


def test_shape_errors_are_clear():
    x = g.ones(2, 3)
    with pytest.raises(RuntimeError, match=r"matmul: shapes \(2, 3\) and \(4, 2\) cannot be multiplied"):
        x @ g.ones(4, 2)
    with pytest.raises(RuntimeError, match="matmul: both arguments need at least 1 dimension"):
        g.matmul(g.tensor(1.0), x)
    with pytest.raises(RuntimeError, match=r"mm: expected 2-D tensors, got shapes \(2, 3\) and \(3,\)"):
        g.mm(x, g.ones(3))
    with pytest.raises(RuntimeError, match=r"bmm: expected 3-D tensors"):
        g.bmm(x, x)
    with pytest.raises(RuntimeError, match=r"shape \[4, 2\] is invalid for input of size 6"):
        x.view(4, 2)
    with pytest.raises(RuntimeError, match=r"cat: sizes of tensors must match except in dimension 0"):
        g.cat([x, g.ones(2, 2)])
    with pytest.raises(RuntimeError, match=r"stack expects each tensor to be equal size"):
        g.stack([x, g.ones(3, 2)])
    with pytest.raises(RuntimeError, match="split: sizes \\[1, 1\\] do not add up to 3"):
        g.split(x, [1, 1], dim=1)
    with pytest.raises(RuntimeError, match="permute"):
        x.permute(0, 0)
    with pytest.raises(RuntimeError, match=r"expand: shape \(2, 3\) cannot be expanded to \(2, 4\)"):
        x.expand(2, 4)
    with pytest.raises(IndexError, match="Dimension out of range"):
        x.sum(dim=2)
    with pytest.raises(IndexError, match="Dimension out of range"):
        x.max(dim=-3)
    with pytest.raises(RuntimeError, match="tril: input must have at least 2 dims"):
        g.tril(g.ones(3))
    with pytest.raises(IndexError, match="gather: index out of range for dimension 1 of size 3"):
        x.gather(1, g.tensor([[3], [0]]))
    with pytest.raises(TypeError, match="gather: index must be an integer tensor"):
        x.gather(1, g.tensor([[0.0], [1.0]]))
    with pytest.raises(RuntimeError, match="topk: k=4 is out of range"):
        x.topk(4)


def test_value_and_type_errors_are_clear():
    x = g.ones(2, 3)
    with pytest.raises(ValueError, match=r"item\(\): only one-element tensors.*\(2, 3\)"):
        x.item()
    with pytest.raises(RuntimeError, match="ambiguous"):
        bool(x)
    with pytest.raises(ValueError, match="clamp: at least one of 'min' and 'max'"):
        g.clamp(x)
    with pytest.raises(TypeError, match="mean: expected a floating point tensor, got dtype int64"):
        g.arange(3).mean()
    with pytest.raises(TypeError, match="where: condition must be a bool tensor"):
        g.where(g.ones(2), x, x)
    with pytest.raises(ValueError, match="norm: unsupported p"):
        x.norm(p=-1)
    with pytest.raises(RuntimeError, match="device 'cuda' is not available"):
        x.to("cuda")
    with pytest.raises(RuntimeError, match="not available"):
        g.device("cuda:0")
    with pytest.raises(ValueError, match="randint: expected low < high"):
        g.randint(3, 3, (2,))
    with pytest.raises(ValueError, match="sizes must be non-negative integers"):
        g.zeros(2, -1)
    with pytest.raises(TypeError, match="set_default_dtype"):
        g.set_default_dtype(np.int32)


def test_gradient_of_rounding_ops_is_zero_like_torch():
    x = g.tensor([0.4, 1.6, -2.2], requires_grad=True)
    (x.floor() + x.ceil() + x.round() + x.sign() + x.trunc() + x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 1.0, 1.0])


def test_prod_gradient_with_several_zeros():
    x = g.tensor([[2.0, 0.0, 0.0], [1.0, 0.0, 3.0]], dtype=g.float64, requires_grad=True)
    x.prod(dim=1).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[0, 0, 0], [0, 3, 0]])


def test_norm_gradient_at_zero_is_zero():
    x = g.zeros(3, requires_grad=True)
    x.norm().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.0, 0.0])


def test_default_dtype():
    try:
        g.set_default_dtype(g.float64)
        assert g.tensor([1.0]).dtype == np.float64 and g.zeros(2).dtype == np.float64
    finally:
        g.set_default_dtype(g.float32)
    assert g.get_default_dtype() == np.float32


def test_type_promotion_follows_torch_not_numpy():
    f32 = g.ones(2)
    ints = g.tensor([1, 2])
    assert (ints / 2).dtype == np.float32 and (ints / ints).dtype == np.float32 and (3 / ints).dtype == np.float32
    assert (ints * 1.5).dtype == np.float32 and (1.5 - ints).dtype == np.float32
    assert (ints + f32).dtype == np.float32 and (f32 * g.tensor([True, False])).dtype == np.float32
    assert (ints * 2).dtype == np.int64 and (ints ** 2).dtype == np.int64
    assert (g.ones(2, dtype=g.float64) + f32).dtype == np.float64
    assert (f32 * np.float64(2.0)).dtype == np.float32  # scalars never upcast a float32 graph
    x = g.ones(2, requires_grad=True)
    (x * ints).sum().backward()
    assert x.grad.dtype == np.float32 and x.grad.tolist() == [1.0, 2.0]


def test_setitem_with_integer_and_array_follows_torch():
    x = g.zeros(2, 3, 4)
    x[1, :, g.tensor([0, 2])] = g.arange(6.0).reshape(3, 2)
    assert x[1, :, 0].tolist() == [0.0, 2.0, 4.0] and x[1, :, 2].tolist() == [1.0, 3.0, 5.0]
    assert x.sum().item() == 15.0


def test_device_and_size_keywords_as_pytorch_code_writes_them():
    dev = g.device("cpu")
    assert g.zeros(2, 3, device=dev).shape == (2, 3) and g.tensor([1.0], device="cpu").device == "cpu"
    assert g.randn(size=(2, 4)).shape == (2, 4) and g.ones(size=[3]).shape == (3,)
    assert g.arange(3, device="cpu").tolist() == [0, 1, 2] and g.randint(0, 3, (2,), device=dev).shape == (2,)
    assert g.zeros_like(g.ones(2), device="cpu").shape == (2,)
    with pytest.raises(RuntimeError, match="device 'cuda' is not available"):
        g.zeros(2, device="cuda")
