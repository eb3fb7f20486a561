"""Cases that break small autodiff engines (seed 002 §3.6): reuse, accumulation, freed graphs, depth,
hooks, grad modes, saturation, integer tensors, in-place errors, seeding."""
import warnings

import numpy as np
import pytest

import gradiente as g
from gradiente.autograd import Function


def test_nonleaf_used_twice_gets_both_contributions():
    x = g.tensor([1.0, 2.0, 3.0], requires_grad=True)
    h = x * 2  # non-leaf
    y = (h * h + 3 * h).sum()  # dy/dh = 2h + 3, dy/dx = 2 (2h + 3)
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * (2 * 2 * np.array([1, 2, 3]) + 3))


def test_diamond_graph_order():
    # x -> a, b -> c (uses both) : the gradient of a must be complete before a's node runs
    x = g.tensor(1.5, requires_grad=True)
    a = x.exp()
    b = a * 2
    c = a * b + b.sigmoid()
    c.backward()
    e = np.exp(1.5)
    s = 1 / (1 + np.exp(-2 * e))
    np.testing.assert_allclose(x.grad.item(), (4 * e + 2 * s * (1 - s)) * e, rtol=1e-6)


def test_two_backward_calls_on_new_graphs_accumulate_as_torch():
    torch = pytest.importorskip("torch")
    w0 = np.array([[0.5, -1.0], [2.0, 0.25]], dtype=np.float32)
    gw, tw = g.tensor(w0, requires_grad=True), torch.tensor(w0, requires_grad=True)
    for lib, w in ((g, gw), (torch, tw)):
        (w * w).sum().backward()
        (w.exp() * 3).mean().backward()  # a second graph sharing the leaf: grads add up
    np.testing.assert_allclose(gw.grad.numpy(), tw.grad.numpy(), rtol=1e-6)
    gw.grad = None
    (gw ** 3).sum().backward()
    np.testing.assert_allclose(gw.grad.numpy(), 3 * w0 ** 2, rtol=1e-6)


def test_grad_is_a_tensor_updated_in_place_across_calls():
    w = g.tensor([1.0, 2.0], requires_grad=True)
    (w * 2).sum().backward()
    first = w.grad
    (w * 3).sum().backward()
    assert w.grad is first
    np.testing.assert_allclose(first.numpy(), [5.0, 5.0])


def test_leaf_grads_never_alias_each_other():
    a = g.tensor([1.0, 2.0], requires_grad=True)
    b = g.tensor([3.0, 4.0], requires_grad=True)
    (a + b).sum().backward()  # the same upstream gradient flows to both leaves
    with g.no_grad():
        a.grad.mul_(10)
    np.testing.assert_allclose(b.grad.numpy(), [1.0, 1.0])
    assert a.grad.numpy().flags.writeable and b.grad.numpy().flags.writeable


def test_user_gradient_is_copied():
    x = g.tensor([1.0, 2.0], requires_grad=True)
    v = g.tensor([1.0, 1.0])
    x.backward(v)
    x.grad.data += 1
    np.testing.assert_allclose(v.numpy(), [1.0, 1.0])


def test_second_backward_through_freed_graph_raises_clearly():
    x = g.tensor([1.0, 2.0], requires_grad=True)
    y = (x.exp() * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time.*retain_graph=True"):
        y.backward()


def test_retain_graph_allows_second_backward():
    x = g.tensor([1.0, 2.0], requires_grad=True)
    y = (x.exp() * x).sum()
    y.backward(retain_graph=True)
    first = x.grad.numpy().copy()
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * first, rtol=1e-6)


def test_failed_backward_leaves_no_stale_buffers():
    x = g.tensor([1.0, 2.0], requires_grad=True)
    h = x * 2
    y = h.sum()
    y.backward()
    z = (h * x).sum()  # h's node was freed: this backward fails ...
    with pytest.raises(RuntimeError, match="second time"):
        z.backward()
    x.grad = None
    (x * 5).sum().backward()  # ... and leaves nothing behind that corrupts the next one
    np.testing.assert_allclose(x.grad.numpy(), [5.0, 5.0])


def test_10000_op_chain_has_no_recursion_limit():
    x = g.tensor(1.0, requires_grad=True)
    y = x
    for _ in range(10_000):
        y = y * 1.0001
    y.backward()
    np.testing.assert_allclose(x.grad.item(), 1.0001 ** 10_000, rtol=1e-3)


def test_retain_grad_keeps_nonleaf_grad():
    x = g.tensor([1.0, -2.0], requires_grad=True)
    h = x * 3
    h.retain_grad()
    assert h.retains_grad
    (h * h).sum().backward()
    np.testing.assert_allclose(h.grad.numpy(), 2 * h.numpy())
    z = x * 2
    (z * z).sum().backward()
    assert z.grad is None  # not retained: like PyTorch


def test_register_hook_sees_total_gradient_once_and_can_replace_it():
    x = g.tensor([1.0, 2.0], requires_grad=True)
    h = x * 2
    seen = []
    h.register_hook(lambda grad: seen.append(grad.numpy().copy()))
    (h * 3 + h * 4).sum().backward()  # h used twice: the hook sees the summed gradient, once
    assert len(seen) == 1
    np.testing.assert_allclose(seen[0], [7.0, 7.0])
    np.testing.assert_allclose(x.grad.numpy(), [14.0, 14.0])

    w = g.tensor([1.0, 1.0], requires_grad=True)
    handle = w.register_hook(lambda grad: grad * 0.5)
    (w * 4).sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), [2.0, 2.0])
    handle.remove()
    (w * 4).sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), [6.0, 6.0])

    with pytest.raises(RuntimeError, match="doesn't require gradient"):
        g.tensor([1.0]).register_hook(lambda grad: grad)
    w.register_hook(lambda grad: grad.sum())
    with pytest.raises(RuntimeError, match=r"returned a gradient of shape \(\); expected \(2,\)"):
        (w * 4).sum().backward()


def test_no_grad_enable_grad_set_grad_enabled():
    x = g.tensor([1.0], requires_grad=True)
    with g.no_grad():
        assert not g.is_grad_enabled()
        y = x * 2
        with g.enable_grad():
            z = x * 2
    assert not y.requires_grad and y.grad_fn is None
    assert z.requires_grad and z.grad_fn is not None
    with g.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    assert g.is_grad_enabled()
    g.set_grad_enabled(False)
    try:
        assert not (x * 2).requires_grad
    finally:
        g.set_grad_enabled(True)
    assert (x * 2).requires_grad


def test_grad_modes_as_decorators():
    x = g.tensor([1.0], requires_grad=True)

    @g.no_grad()
    def f():
        return x * 2

    @g.enable_grad()
    def h():
        return x * 2

    @g.set_grad_enabled(False)
    def k():
        return x * 2

    assert g.is_grad_enabled()  # decorating changes nothing outside the function
    assert not f().requires_grad and not k().requires_grad
    with g.no_grad():
        assert h().requires_grad
    assert f.__name__ == "f"


def test_detach_shares_data_and_cuts_graph():
    x = g.tensor([1.0, 2.0], requires_grad=True)
    h = x * 2
    d = h.detach()
    assert not d.requires_grad and d.grad_fn is None and d.is_leaf
    assert np.shares_memory(d.numpy(), h.numpy())
    (h * d).sum().backward()  # d is a constant
    np.testing.assert_allclose(x.grad.numpy(), 2 * d.numpy())


@pytest.mark.parametrize("z", [1000.0, -1000.0, 88.8, -104.0])
def test_saturating_sigmoid_tanh_without_nan_or_warning(z):
    x = g.tensor([z, -z, 0.0], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(over="raise", invalid="raise", divide="raise"):
            y = x.sigmoid() + x.tanh()
            y.sum().backward()
    assert np.isfinite(y.numpy()).all() and np.isfinite(x.grad.numpy()).all()
    s = y.numpy()[0] - np.tanh(np.float32(z))
    assert 0.0 <= s <= 1.0


def test_exp_overflow_is_inf_not_nan():
    x = g.tensor([1000.0, -1000.0], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        y = x.exp()
    assert y.numpy()[0] == np.inf and y.numpy()[1] == 0.0
    lse = g.logsumexp(g.tensor([[1000.0, 1000.0], [-1000.0, -1000.0]], requires_grad=True), dim=1)
    np.testing.assert_allclose(lse.numpy(), [1000 + np.log(2), -1000 + np.log(2)], rtol=1e-6)


def test_integer_tensors():
    labels = g.tensor([0, 2, 1])
    assert labels.dtype == np.int64 and not labels.requires_grad
    assert (labels + 1).dtype == np.int64
    assert (labels * 2).tolist() == [0, 4, 2]
    x = g.randn(3, 4, requires_grad=True)
    picked = x[g.arange(3), labels]  # integer labels index a float tensor
    picked.sum().backward()
    expected = np.zeros((3, 4), np.float32)
    expected[[0, 1, 2], [0, 2, 1]] = 1
    np.testing.assert_array_equal(x.grad.numpy(), expected)
    assert labels.float().dtype == np.float32
    assert g.tensor([True, False]).dtype == np.bool_


def test_requires_grad_on_integer_tensor_errors():
    with pytest.raises(RuntimeError, match="floating point"):
        g.tensor([1, 2], requires_grad=True)
    with pytest.raises(RuntimeError, match="floating point"):
        g.arange(3).requires_grad_()


def test_inplace_on_leaf_requiring_grad_errors():
    w = g.tensor([1.0, 2.0], requires_grad=True)
    for op in (lambda: w.add_(1), lambda: w.mul_(2), lambda: w.zero_(), lambda: w.fill_(3.0),
               lambda: w.__setitem__(0, 5.0), lambda: w.copy_(g.tensor([0.0, 0.0]))):
        with pytest.raises(RuntimeError, match="in-place operation on a leaf tensor that requires grad"):
            op()
    with pytest.raises(RuntimeError, match="in-place"):
        w += 1
    with g.no_grad():
        w.add_(1)  # allowed for updates
    np.testing.assert_allclose(w.numpy(), [2.0, 3.0])
    h = w * 2
    with pytest.raises(RuntimeError, match="in-place operation on a tensor in the graph"):
        h.mul_(2)


def test_manual_seed_repeats_bit_for_bit():
    def draw():
        lin = g.nn.Linear(5, 3)
        return [g.randn(4, 4).numpy(), g.rand(3).numpy(), g.randint(0, 10, (5,)).numpy(),
                g.randperm(6).numpy(), lin.weight.numpy().copy(), lin.bias.numpy().copy()]

    g.manual_seed(123)
    a = draw()
    g.manual_seed(123)
    b = draw()
    for u, v in zip(a, b):
        assert u.dtype == v.dtype and u.tobytes() == v.tobytes()
    g.manual_seed(124)
    assert g.randn(4, 4).numpy().tobytes() != a[0].tobytes()
    with pytest.raises(TypeError, match="int"):
        g.manual_seed(1.5)


def test_rng_state_roundtrip():
    g.manual_seed(7)
    state = g.get_rng_state()
    a = g.randn(3).numpy()
    g.set_rng_state(state)
    assert g.randn(3).numpy().tobytes() == a.tobytes()


def test_backward_errors():
    x = g.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="only for scalar outputs.*shape \\(2,\\)"):
        (x * 2).backward()
    with pytest.raises(RuntimeError, match="does not require grad"):
        g.tensor([1.0]).sum().backward()
    with pytest.raises(RuntimeError, match="gradient has shape \\(3,\\) but the tensor has shape \\(2,\\)"):
        (x * 2).backward(g.ones(3))
    img = g.tensor(np.ones((1, 1, 3, 3)), requires_grad=True)
    with pytest.raises(RuntimeError, match="AdaptiveAvgPoolNdBackward does not support create_graph=True"):
        g.nn.functional.adaptive_avg_pool2d(img, 2).sum().backward(create_graph=True)


def test_function_returning_wrong_gradient_shape_is_named():
    class Bad(Function):
        def forward(self, a):
            return a * 2

        def backward(self, grad):
            return grad.sum(axis=0)

    x = g.ones(3, 2, requires_grad=True)
    with pytest.raises(RuntimeError, match="Bad.backward returned a gradient of shape \\(2,\\) for an input of "
                                           "shape \\(3, 2\\)"):
        Bad.apply(x).sum().backward()


def test_multi_output_function_with_unused_output():
    class SplitHalves(Function):
        def forward(self, a):
            n = a.shape[0] // 2
            return a[:n] * 1, a[n:] * 1

        def backward(self, ga, gb):
            return np.concatenate([ga, gb])

    x = g.arange(4.0, requires_grad=True)
    lo, hi = SplitHalves.apply(x)
    assert lo.grad_fn is hi.grad_fn
    (hi * 3).sum().backward()  # the unused output gets a zero gradient
    np.testing.assert_array_equal(x.grad.numpy(), [0, 0, 3, 3])
    x.grad = None
    lo, hi = SplitHalves.apply(x)
    (lo * 2 + hi.sum()).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2, 2, 2, 2])


def test_backward_inputs_restricts_accumulation():
    a = g.tensor([1.0], requires_grad=True)
    b = g.tensor([2.0], requires_grad=True)
    (a * b).sum().backward(inputs=[a])
    assert b.grad is None
    np.testing.assert_allclose(a.grad.numpy(), [2.0])


def test_float32_graph_never_upcasts():
    x = g.randn(3, 4, requires_grad=True)
    y = ((x * 0.5 + 1.5) ** 2 / 3.0 - x.exp() * 2.0).mean() + x.var() + x.std(dim=0).sum()
    assert y.dtype == np.float32
    y.backward()
    assert x.grad.dtype == np.float32


def test_ties_in_max_follow_torch():
    # full max: split evenly; max(dim): to the first index; maximum(a, b) with a == b: half each
    x = g.tensor([[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]], requires_grad=True)
    (x.max() + x.max(dim=1)[0].sum() + g.maximum(x, g.tensor(2.0)).sum()).backward()
    np.testing.assert_allclose(x.grad.numpy(), [[0.0, 2.5, 1.5], [1.5, 0.5, 0.0]])


def test_grad_mode_decorators_without_parentheses():
    x = g.tensor([1.0], requires_grad=True)

    @g.no_grad
    def f():
        return x * 2

    @g.enable_grad
    def h():
        return x * 2

    assert not f().requires_grad and f.__name__ == "f"
    with g.no_grad():
        assert h().requires_grad
    with pytest.raises(TypeError, match="no_grad"):
        g.no_grad(3)


def test_autograd_grad_returns_gradients_without_touching_grad():
    torch = pytest.importorskip("torch")
    x0 = np.array([[0.5, -1.0, 2.0]], dtype=np.float32)
    w0 = np.array([[1.0], [2.0], [-0.5]], dtype=np.float32)
    res = []
    for m in (g, torch):
        x, w = m.tensor(x0, requires_grad=True), m.tensor(w0, requires_grad=True)
        h = (x @ w).tanh()
        loss = (h * h).sum() + x.sum()
        gx, gh = m.autograd.grad(loss, [x, h])
        assert x.grad is None and w.grad is None
        if m is g:
            assert h.grad is None and not h.retains_grad
        res.append((gx.numpy(), gh.numpy()))
    for a, b in zip(*res):
        np.testing.assert_allclose(a, b, rtol=1e-6)
    x = g.tensor([1.0], requires_grad=True)
    y = g.tensor([2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="input 1 was not used"):
        g.autograd.grad((x * 3).sum(), [x, y])
    assert g.autograd.grad((x * 3).sum(), [x, y], allow_unused=True)[1] is None


def test_detect_anomaly_names_the_function_that_made_nan():
    x = g.tensor([0.0, 1.0], requires_grad=True)
    with g.autograd.detect_anomaly(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert g.autograd.is_anomaly_enabled()
        y = x.sqrt().sum()  # d sqrt / dx at 0 is inf
        with pytest.raises(RuntimeError, match="Function 'SqrtBackward' returned inf values in its 0th output"):
            y.backward()
    assert not g.autograd.is_anomaly_enabled()
    x.grad = None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        x.sqrt().sum().backward()  # without the check: inf, like PyTorch
    assert np.isinf(x.grad.numpy()[0])


def test_grad_mode_is_per_thread():
    """As in PyTorch: no_grad() in one thread does not stop another thread's graph, and a new thread records."""
    import threading

    x = g.tensor([1.0, 2.0], requires_grad=True)
    inside, release = threading.Event(), threading.Event()
    seen = {}

    def worker():
        seen["start"] = g.is_grad_enabled()
        inside.wait(5)  # the main thread is now inside no_grad()
        seen["requires_grad"] = (x * 3).requires_grad
        release.set()

    t = threading.Thread(target=worker)
    with g.no_grad():
        t.start()
        inside.set()
        release.wait(5)
        assert not (x * 3).requires_grad
    t.join(5)
    assert seen == {"start": True, "requires_grad": True}

    def disable():
        g.set_grad_enabled(False)
        seen["after"] = g.is_grad_enabled()

    t = threading.Thread(target=disable)
    t.start()
    t.join(5)
    assert seen["after"] is False and g.is_grad_enabled()
