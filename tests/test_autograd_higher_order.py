"""Higher-order gradients (``create_graph=True``) against PyTorch: second derivatives, Hessian-vector
products, a gradient penalty, and float64 gradchecks of a gradient function (seed 002 §3.6)."""
import numpy as np
import pytest

import gradiente as g
import gradiente.nn.functional as F

torch = pytest.importorskip("torch")
TF = torch.nn.functional


def _rng(seed=0):
    return np.random.default_rng(seed)


def _as_np(t, like):
    if t is None:
        return np.zeros(like.shape)
    return t.detach().numpy() if hasattr(t, "detach") else t.numpy()


def _requires(t):
    return t is not None and t.requires_grad


def _check_second_order(gfn, tfn, arrays, rtol=1e-9, atol=1e-10, seed=1):
    """f, grad f (with create_graph) and d/dx <grad f, v> agree with PyTorch for every input."""
    rng = _rng(seed)
    gx = [g.tensor(a, requires_grad=True) for a in arrays]
    tx = [torch.tensor(a, requires_grad=True) for a in arrays]
    gout, tout = gfn(*gx), tfn(*tx)
    np.testing.assert_allclose(gout.numpy(), tout.detach().numpy(), rtol=rtol, atol=atol)
    w = rng.standard_normal(tuple(tout.shape))
    gd = g.autograd.grad((gout * g.tensor(w)).sum(), gx, create_graph=True)
    td = torch.autograd.grad((tout * torch.tensor(w)).sum(), tx, create_graph=True)
    for a, b in zip(gd, td):
        np.testing.assert_allclose(a.numpy(), b.detach().numpy(), rtol=rtol, atol=atol)
    vs = [rng.standard_normal(a.shape) for a in arrays]
    gs = [(d * g.tensor(v)).sum() for d, v in zip(gd, vs) if _requires(d)]
    ts = [(d * torch.tensor(v)).sum() for d, v in zip(td, vs) if _requires(d)]
    gh = g.autograd.grad(sum(gs[1:], gs[0]), gx, allow_unused=True) if gs else [None] * len(gx)
    th = torch.autograd.grad(sum(ts[1:], ts[0]), tx, allow_unused=True) if ts else [None] * len(tx)
    for a, b, x in zip(gh, th, arrays):
        np.testing.assert_allclose(_as_np(a, x), _as_np(b, x), rtol=rtol, atol=atol)
    return gd


def _x(*shape, seed=0, low=None):
    a = _rng(seed).standard_normal(shape)
    return np.abs(a) + low if low is not None else a


UNARY = [
    ("neg", lambda x: -x, lambda x: -x),
    ("pow3", lambda x: x ** 3, lambda x: x ** 3),
    ("pow2", lambda x: x ** 2, lambda x: x ** 2),
    ("pow-half", lambda x: (x * x + 1) ** -0.5, lambda x: (x * x + 1) ** -0.5),
    ("exp", lambda x: x.exp(), lambda x: x.exp()),
    ("log", lambda x: (x * x + 0.5).log(), lambda x: (x * x + 0.5).log()),
    ("sqrt", lambda x: (x * x + 0.5).sqrt(), lambda x: (x * x + 0.5).sqrt()),
    ("abs", lambda x: x.abs() * x, lambda x: x.abs() * x),
    ("tanh", lambda x: x.tanh(), lambda x: x.tanh()),
    ("sigmoid", lambda x: x.sigmoid(), lambda x: x.sigmoid()),
    ("relu", lambda x: x.relu() * x, lambda x: x.relu() * x),
    ("leaky_relu", lambda x: F.leaky_relu(x, 0.1) ** 2, lambda x: TF.leaky_relu(x, 0.1) ** 2),
    ("gelu", lambda x: F.gelu(x), lambda x: TF.gelu(x)),
    ("gelu_tanh", lambda x: F.gelu(x, approximate="tanh"), lambda x: TF.gelu(x, approximate="tanh")),
    ("softplus", lambda x: F.softplus(x * 8, beta=2.0, threshold=5.0),
     lambda x: TF.softplus(x * 8, beta=2.0, threshold=5.0)),
    ("silu", lambda x: F.silu(x), lambda x: TF.silu(x)),
    ("sin_cos", lambda x: x.sin() * x.cos(), lambda x: x.sin() * x.cos()),
    ("log1p", lambda x: (x * x).log1p(), lambda x: (x * x).log1p()),
    ("clamp", lambda x: x.clamp(-0.5, 0.5) * x, lambda x: x.clamp(-0.5, 0.5) * x),
    ("softmax", lambda x: F.softmax(x, dim=1), lambda x: TF.softmax(x, dim=1)),
    ("log_softmax", lambda x: F.log_softmax(x, dim=0), lambda x: TF.log_softmax(x, dim=0)),
    ("sum", lambda x: x.sum(dim=1) ** 2, lambda x: x.sum(dim=1) ** 2),
    ("sum_all", lambda x: x.sum() * x, lambda x: x.sum() * x),
    ("mean_keepdim", lambda x: x.mean(dim=0, keepdim=True) * x, lambda x: x.mean(dim=0, keepdim=True) * x),
    ("var", lambda x: x.var(dim=1), lambda x: x.var(dim=1)),
    ("logsumexp", lambda x: x.logsumexp(dim=1), lambda x: x.logsumexp(dim=1)),
    ("norm", lambda x: x.norm(dim=1), lambda x: x.norm(dim=1)),
    ("amax", lambda x: x.amax(dim=1) * x.sum(dim=1), lambda x: x.amax(dim=1) * x.sum(dim=1)),
    ("reshape", lambda x: x.reshape(4, 3).tanh().view(12) ** 2, lambda x: x.reshape(4, 3).tanh().view(12) ** 2),
    ("permute", lambda x: x.t().tanh() * x.T, lambda x: x.t().tanh() * x.T),
    ("getitem", lambda x: x[1:, ::2].exp(), lambda x: x[1:, ::2].exp()),
    ("getitem_repeats", lambda x: x[[0, 2, 0]].sin() ** 2, lambda x: x[[0, 2, 0]].sin() ** 2),
    ("expand", lambda x: x[:1].expand(5, 4) * x.sum(), lambda x: x[:1].expand(5, 4) * x.sum()),
    ("cat_stack", lambda x: g.stack([g.cat([x, x * x], dim=1), x.tanh().repeat(1, 2)]) ** 2,
     lambda x: torch.stack([torch.cat([x, x * x], dim=1), x.tanh().repeat(1, 2)]) ** 2),
    ("where", lambda x: g.where(x > 0, x * x, x.exp()), lambda x: torch.where(x > 0, x * x, x.exp())),
    ("maximum", lambda x: g.maximum(x, x.flip(0)) ** 2, lambda x: torch.maximum(x, x.flip(0)) ** 2),
    ("cumsum", lambda x: x.cumsum(1) ** 2, lambda x: x.cumsum(1) ** 2),
    ("tril", lambda x: (x @ x.T).tril() ** 2, lambda x: (x @ x.T).tril() ** 2),
    ("elu", lambda x: F.elu(x * 3, alpha=0.7) ** 2, lambda x: TF.elu(x * 3, alpha=0.7) ** 2),
    ("selu", lambda x: F.selu(x), lambda x: TF.selu(x)),
    ("max_dim", lambda x: x.max(dim=1)[0].unsqueeze(1) ** 2 + x.min(dim=0, keepdim=True)[0] * x,
     lambda x: x.max(dim=1)[0].unsqueeze(1) ** 2 + x.min(dim=0, keepdim=True)[0] * x),
    ("sort_topk", lambda x: x.sort(dim=1)[0] ** 3 * x.topk(2, dim=0)[0].sum(),
     lambda x: x.sort(dim=1)[0] ** 3 * x.topk(2, dim=0)[0].sum()),
    ("gather", lambda x: x.gather(1, g.tensor([[0, 0], [3, 1], [2, 2], [1, 0], [0, 3]])).exp(),
     lambda x: x.gather(1, torch.tensor([[0, 0], [3, 1], [2, 2], [1, 0], [0, 3]])).exp()),
]


@pytest.mark.parametrize("name,gfn,tfn", UNARY, ids=[u[0] for u in UNARY])
def test_second_derivative_of_unary_functions(name, gfn, tfn):
    shape = (3, 4) if name in ("getitem_repeats", "tril", "cat_stack", "reshape") else (5, 4)
    _check_second_order(gfn, tfn, [_x(*shape)])


W4 = np.array([0.5, 1.0, 2.0, 1.5])

BINARY = [
    ("add", lambda a, b: (a + b) ** 2, lambda a, b: (a + b) ** 2, (3, 4), (4,)),
    ("sub", lambda a, b: (a - b) ** 3, lambda a, b: (a - b) ** 3, (3, 1), (1, 4)),
    ("mul", lambda a, b: a * b * a, lambda a, b: a * b * a, (2, 3, 4), (3, 1)),
    ("div", lambda a, b: a / (b * b + 1), lambda a, b: a / (b * b + 1), (3, 4), (4,)),
    ("pow_tensor", lambda a, b: (a * a + 0.5) ** b, lambda a, b: (a * a + 0.5) ** b, (3, 4), (3, 4)),
    ("matmul", lambda a, b: (a @ b).tanh(), lambda a, b: (a @ b).tanh(), (3, 4), (4, 2)),
    ("matmul_vec", lambda a, b: (a @ b) ** 2, lambda a, b: (a @ b) ** 2, (3, 4), (4,)),
    ("vec_matmul", lambda a, b: (b @ a) ** 2, lambda a, b: (b @ a) ** 2, (4, 3), (4,)),
    ("dot", lambda a, b: (a @ b) ** 2, lambda a, b: (a @ b) ** 2, (4,), (4,)),
    ("bmm_broadcast", lambda a, b: (a @ b).sin(), lambda a, b: (a @ b).sin(), (2, 3, 4), (4, 5)),
    ("mse", lambda a, b: F.mse_loss(a.tanh(), b), lambda a, b: TF.mse_loss(a.tanh(), b), (3, 4), (3, 4)),
    ("mse_none", lambda a, b: F.mse_loss(a * b, b, reduction="none"),
     lambda a, b: TF.mse_loss(a * b, b, reduction="none"), (3, 4), (3, 4)),
    ("l1", lambda a, b: F.l1_loss(a * a, b, reduction="sum"), lambda a, b: TF.l1_loss(a * a, b, reduction="sum"),
     (3, 4), (3, 4)),
    ("prelu", lambda a, b: F.prelu(a, b) ** 2, lambda a, b: TF.prelu(a, b) ** 2, (3, 4, 2), (4,)),
    ("prelu_shared", lambda a, b: F.prelu(a, b) ** 2, lambda a, b: TF.prelu(a, b) ** 2, (3, 4), (1,)),
    ("bce_logits", lambda a, b: F.binary_cross_entropy_with_logits(a * a, b.sigmoid()),
     lambda a, b: TF.binary_cross_entropy_with_logits(a * a, b.sigmoid()), (3, 4), (3, 4)),
    ("bce_logits_weights", lambda a, b: F.binary_cross_entropy_with_logits(
        a * 2, b.sigmoid(), weight=g.tensor(W4), pos_weight=g.tensor(W4[::-1].copy()), reduction="sum"),
     lambda a, b: TF.binary_cross_entropy_with_logits(
        a * 2, b.sigmoid(), weight=torch.tensor(W4), pos_weight=torch.tensor(W4[::-1].copy()), reduction="sum"),
     (3, 4), (3, 4)),
    ("kl_div", lambda a, b: F.kl_div(F.log_softmax(a, dim=1), F.softmax(b, dim=1), reduction="batchmean"),
     lambda a, b: TF.kl_div(TF.log_softmax(a, dim=1), TF.softmax(b, dim=1), reduction="batchmean"), (3, 4), (3, 4)),
    ("kl_div_log_target", lambda a, b: F.kl_div(a * a, b.sin(), reduction="sum", log_target=True),
     lambda a, b: TF.kl_div(a * a, b.sin(), reduction="sum", log_target=True), (3, 4), (3, 4)),
    ("cross_entropy_probs", lambda a, b: F.cross_entropy(a * a, F.softmax(b, dim=1), label_smoothing=0.1),
     lambda a, b: TF.cross_entropy(a * a, TF.softmax(b, dim=1), label_smoothing=0.1), (3, 4), (3, 4)),
]


@pytest.mark.parametrize("name,gfn,tfn,sa,sb", BINARY, ids=[b[0] for b in BINARY])
def test_second_derivative_of_binary_functions_with_broadcasting(name, gfn, tfn, sa, sb):
    _check_second_order(gfn, tfn, [_x(*sa, seed=2), _x(*sb, seed=3)])


def test_second_derivative_of_linear_with_bias():
    def make(F_):
        return lambda x, w, b: F_.linear(x, w, b).tanh()
    _check_second_order(make(F), make(TF), [_x(2, 3, 4), _x(5, 4, seed=1), _x(5, seed=2)])
    _check_second_order(make(F), make(TF), [_x(4), _x(5, 4, seed=1), _x(5, seed=2)])


Y = np.array([1, 0, 3, 3, 2])


@pytest.mark.parametrize("kwargs", [{}, {"reduction": "sum"}, {"reduction": "none"},
                                    {"weight": [0.5, 1.0, 2.0, 1.5], "label_smoothing": 0.2},
                                    {"ignore_index": 3}])
def test_second_derivative_of_cross_entropy(kwargs):
    kw = dict(kwargs)
    tkw = dict(kw)
    if "weight" in kw:
        kw["weight"], tkw["weight"] = g.tensor(kw["weight"], dtype=g.float64), torch.tensor(kw["weight"],
                                                                                           dtype=torch.float64)
    _check_second_order(lambda z: F.cross_entropy(z * z, g.tensor(Y), **kw),
                        lambda z: TF.cross_entropy(z * z, torch.tensor(Y), **tkw), [_x(5, 4)])


def test_second_derivative_of_cross_entropy_over_extra_dims_and_nll_loss():
    y = _rng(4).integers(0, 3, (2, 5))
    _check_second_order(lambda z: F.cross_entropy(z.sin(), g.tensor(y)),
                        lambda z: TF.cross_entropy(z.sin(), torch.tensor(y)), [_x(2, 3, 5)])
    _check_second_order(lambda z: F.nll_loss(F.log_softmax(z * z, dim=1), g.tensor(Y)),
                        lambda z: TF.nll_loss(TF.log_softmax(z * z, dim=1), torch.tensor(Y)), [_x(5, 4)])


# ------------------------------------------------------------------ small MLPs in float32
def _mlp_arrays(sizes, seed=0):
    rng = _rng(seed)
    out = []
    for i in range(len(sizes) - 1):
        out.append((rng.standard_normal((sizes[i + 1], sizes[i])) / np.sqrt(sizes[i])).astype(np.float32))
        out.append((0.1 * rng.standard_normal(sizes[i + 1])).astype(np.float32))
    return out


def _mlp(lib, fn, params, x, act):
    for i in range(0, len(params), 2):
        x = fn.linear(x, params[i], params[i + 1])
        if i + 2 < len(params):
            x = getattr(x, act)()
    return x


@pytest.mark.parametrize("act", ["tanh", "relu"])
@pytest.mark.parametrize("loss", ["cross_entropy", "mse"])
def test_hessian_vector_product_of_an_mlp_loss(act, loss):
    rng = _rng(1)
    arrays = _mlp_arrays((6, 8, 8, 3))
    x = rng.standard_normal((10, 6)).astype(np.float32)
    y = rng.integers(0, 3, 10) if loss == "cross_entropy" else rng.standard_normal((10, 3)).astype(np.float32)
    vs = [rng.standard_normal(a.shape).astype(np.float32) for a in arrays]

    def hvp(lib, fn, grad):
        params = [lib.tensor(a, requires_grad=True) for a in arrays]
        out = _mlp(lib, fn, params, lib.tensor(x), act)
        ls = fn.cross_entropy(out, lib.tensor(y)) if loss == "cross_entropy" else fn.mse_loss(out, lib.tensor(y))
        grads = grad(ls, params, create_graph=True)
        dot = sum((gr * lib.tensor(v)).sum() for gr, v in zip(grads, vs))
        return grads, grad(dot, params)

    ggrads, ghvp = hvp(g, F, g.autograd.grad)
    tgrads, thvp = hvp(torch, TF, torch.autograd.grad)
    for a, b in zip(ggrads + ghvp, tgrads + thvp):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-4, atol=1e-5)


@pytest.mark.filterwarnings("ignore:Using backward\\(\\) with create_graph=True")
def test_backward_with_create_graph_leaves_differentiable_grads():
    arrays = _mlp_arrays((4, 5, 2))
    x = _rng(2).standard_normal((3, 4)).astype(np.float32)
    gp = [g.tensor(a, requires_grad=True) for a in arrays]
    tp = [torch.tensor(a, requires_grad=True) for a in arrays]
    g_loss = (_mlp(g, F, gp, g.tensor(x), "tanh") ** 2).mean()
    t_loss = (_mlp(torch, TF, tp, torch.tensor(x), "tanh") ** 2).mean()
    g_loss.backward(create_graph=True)
    t_loss.backward(create_graph=True)
    assert all(p.grad.grad_fn is not None for p in gp)
    g_loss.backward(create_graph=True)  # the graph is retained by default; .grad accumulates out of place
    t_loss.backward(create_graph=True)
    g_pen = sum((p.grad ** 2).sum() for p in gp)
    t_pen = sum((p.grad ** 2).sum() for p in tp)
    gh = g.autograd.grad(g_pen, gp)
    th = torch.autograd.grad(t_pen, tp)
    for p, q, a, b in zip(gp, tp, gh, th):
        np.testing.assert_allclose(p.grad.detach().numpy(), q.grad.detach().numpy(), rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-4, atol=1e-6)


def assert_wgan_gp_step_matches_pytorch(arrays, critic, real, fake, eps):
    """One WGAN-GP critic step in both libraries: the gradient penalty (|d critic / d x_hat| - 1)^2 through
    ``grad(create_graph=True)``, then Adam on the critic loss with it; penalty and parameters equal torch's.
    ``critic(fn, params, h)`` is written once for both libraries (``fn`` their functional module)."""
    def step(lib, fn, optim, grad):
        params = [lib.tensor(a.copy(), requires_grad=True) for a in arrays]
        opt = optim.Adam(params, lr=1e-2, betas=(0.5, 0.9))
        x_hat = lib.tensor(eps) * lib.tensor(real) + (1 - lib.tensor(eps)) * lib.tensor(fake)
        x_hat.requires_grad_(True)
        (dx,) = grad(critic(fn, params, x_hat).sum(), x_hat, create_graph=True)
        penalty = ((dx.reshape(dx.shape[0], -1).norm(2, dim=1) - 1) ** 2).mean()
        loss = critic(fn, params, lib.tensor(fake)).mean() - critic(fn, params, lib.tensor(real)).mean() \
            + 10 * penalty
        opt.zero_grad()
        loss.backward()
        opt.step()
        return float(penalty.detach()), [p.detach().numpy() for p in params]

    gpen, gparams = step(g, F, g.optim, g.autograd.grad)
    tpen, tparams = step(torch, TF, torch.optim, torch.autograd.grad)
    assert gpen == pytest.approx(tpen, rel=1e-5)
    for k, (a, b, before) in enumerate(zip(gparams, tparams, arrays)):
        assert k == len(arrays) - 1 or not np.allclose(a, before)  # the last bias cancels out of the loss
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_wgan_gp_gradient_penalty_and_one_adam_step_match_pytorch():
    rng = _rng(3)
    arrays = _mlp_arrays((5, 16, 16, 1), seed=5)
    real = rng.standard_normal((8, 5)).astype(np.float32)
    fake = (rng.standard_normal((8, 5)) + 1).astype(np.float32)
    eps = rng.random((8, 1)).astype(np.float32)

    def critic(fn, params, h):
        for i in range(0, len(params), 2):
            h = fn.linear(h, params[i], params[i + 1])
            if i + 2 < len(params):
                h = fn.leaky_relu(h, 0.2)
        return h

    assert_wgan_gp_step_matches_pytorch(arrays, critic, real, fake, eps)


# ------------------------------------------------------------------ gradcheck of a gradient function
GRADCHECKED = [
    ("tanh_sigmoid", lambda x: (x.tanh() * x.sigmoid()).sum()),
    ("gelu_softplus", lambda x: (F.gelu(x) + F.softplus(x)).sum()),
    ("div_pow_exp", lambda x: ((x * x + 1) ** 1.5 / (x.exp() + 1)).sum()),
    ("softmax_cross_entropy", lambda x: F.cross_entropy(x * F.softmax(x, dim=1), g.tensor([0, 2, 1]))),
    ("matmul_log_softmax", lambda x: F.log_softmax(x @ x.T, dim=1).mean()),
    ("getitem_norm", lambda x: x[[0, 0, 2], 1:].norm()),
]


@pytest.mark.parametrize("name,f", GRADCHECKED, ids=[c[0] for c in GRADCHECKED])
def test_gradcheck_of_the_gradient_function(name, f):
    def grad_f(x):
        with g.enable_grad():  # gradcheck evaluates fn under no_grad for its finite differences
            return g.autograd.grad(f(x), x, create_graph=True)[0]
    x = g.tensor(_x(3, 3, seed=7), requires_grad=True)
    assert g.gradcheck(grad_f, (x,))


# ------------------------------------------------------------------ engine details
def test_grad_outputs_that_require_grad_and_non_leaf_inputs():
    x = g.tensor(_x(4), requires_grad=True)
    v = g.tensor(_x(4, seed=1), requires_grad=True)
    h = x.tanh()
    y = h * h
    (dh,) = g.autograd.grad(y, h, grad_outputs=v, create_graph=True)  # 2 h v, a function of x and v
    dx, dv = g.autograd.grad(dh.sum(), (x, v))
    tx = torch.tensor(_x(4), requires_grad=True)
    tv = torch.tensor(_x(4, seed=1), requires_grad=True)
    th = tx.tanh()
    (tdh,) = torch.autograd.grad(th * th, th, grad_outputs=tv, create_graph=True)
    tdx, tdv = torch.autograd.grad(tdh.sum(), (tx, tv))
    np.testing.assert_allclose(dx.numpy(), tdx.numpy(), rtol=1e-10)
    np.testing.assert_allclose(dv.numpy(), tdv.numpy(), rtol=1e-10)
    assert x.grad is None and v.grad is None


def test_constant_first_derivative_is_a_plain_tensor():
    x = g.tensor([1.0, 2.0], requires_grad=True)
    (d,) = g.autograd.grad((3 * x).sum(), x, create_graph=True)
    assert d.tolist() == [3.0, 3.0] and not d.requires_grad


def test_hooks_see_and_replace_gradients_with_create_graph():
    x = g.tensor([1.0, 2.0], requires_grad=True)
    seen = []
    h = x * x
    h.register_hook(lambda grad: seen.append(grad) or grad * 3)
    (d,) = g.autograd.grad(h.sum(), x, create_graph=True)
    assert seen[0].tolist() == [1.0, 1.0]
    assert d.tolist() == [6.0, 12.0]
    (d2,) = g.autograd.grad(d.sum(), x)
    assert d2.tolist() == [6.0, 6.0]


def test_op_without_graph_backward_names_itself():
    x = g.randn(1, 1, 5, 5, requires_grad=True)
    with pytest.raises(RuntimeError,
                       match=r"AdaptiveAvgPoolNdBackward does not support create_graph=True \(higher-order"):
        g.autograd.grad(F.adaptive_avg_pool2d(x, 2).sum(), x, create_graph=True)
    assert x.grad is None
    (d,) = g.autograd.grad(F.adaptive_avg_pool2d(x, 2).sum(), x)  # first order is unaffected
    assert d.shape == x.shape


def test_graph_freed_by_retain_graph_false_fails_clearly():
    x = g.tensor([0.5, 1.0], requires_grad=True)
    y = x.exp().sum()
    (d,) = g.autograd.grad(y, x, create_graph=True, retain_graph=False)
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        d.sum().backward()


class SquareAndCube(g.autograd.Function):
    """Two outputs, a^2 and a^3, with a backward_graph of its own."""

    def forward(self, a):
        self.a = a
        return a * a, a * a * a

    def backward(self, g2, g3):
        return g2 * 2 * self.a + g3 * 3 * self.a * self.a

    def backward_graph(self, g2, g3):
        a = self.inputs[0]
        return g2 * 2 * a + g3 * 3 * a * a


def test_function_of_its_own_with_two_outputs_one_unused():
    x = g.tensor([1.0, -2.0], requires_grad=True)
    (d,) = g.autograd.grad(SquareAndCube.apply(x)[1].sum(), x, create_graph=True)
    assert d.tolist() == [3.0, 12.0]
    (d2,) = g.autograd.grad(d.sum(), x)
    assert d2.tolist() == [6.0, -12.0]


def test_detect_anomaly_names_the_function_with_create_graph():
    x = g.tensor([0.0, 1.0], requires_grad=True)
    with g.autograd.detect_anomaly(), np.errstate(divide="ignore"):
        with pytest.raises(RuntimeError, match="SqrtBackward"):
            g.autograd.grad(x.sqrt().sum(), x, create_graph=True)


def test_create_graph_records_even_inside_no_grad():
    x = g.tensor([0.5, 2.0], requires_grad=True)
    y = (x ** 3).sum()
    with g.no_grad():
        (d,) = g.autograd.grad(y, x, create_graph=True)
        assert not g.is_grad_enabled()
    assert d.grad_fn is not None
    (d2,) = g.autograd.grad(d.sum(), x)
    assert d2.tolist() == [3.0, 12.0]


def test_backward_operations_pass_their_own_gradcheck():
    """The Functions that exist for create_graph (GetItem's and Gather's backward as operations, Phi for
    GELU) have correct first derivatives of their own, in float64."""
    from gradiente.ops.activation import NormalCDF
    from gradiente.ops.shape import GatherAdd, IndexAdd

    rng = _rng(9)
    g_rows = g.tensor(rng.standard_normal((3, 2)), requires_grad=True)
    assert g.gradcheck(lambda t: IndexAdd.apply(t, shape=(4, 2), index=([0, 2, 0],)), (g_rows,))
    index = np.array([[0, 2], [1, 1], [2, 0]])
    g_cols = g.tensor(rng.standard_normal((3, 2)), requires_grad=True)
    assert g.gradcheck(lambda t: GatherAdd.apply(t, shape=(3, 4), index=index, dim=1), (g_cols,))
    z = g.tensor(rng.standard_normal(5) * 2, requires_grad=True)
    assert g.gradcheck(lambda t: NormalCDF.apply(t), (z,))
