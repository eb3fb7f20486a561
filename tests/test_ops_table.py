"""The op table (PyTorch's OpInfo idea): every primitive op x sample inputs, checked three ways.

Each case is written once against the PyTorch-named API, ``fn(m, *inputs)`` with ``m`` either
``gradiente`` or ``torch``, so the same line names the gradiente op and its PyTorch reference.
One parametrised test walks the table for:
  1. forward outputs against PyTorch (float32),
  2. gradients against PyTorch (float32, a random cotangent for every floating output),
  3. a float64 finite-difference ``gradiente.gradcheck`` (fast mode for the larger inputs).
"""
from collections import namedtuple

import numpy as np
import pytest

import gradiente as g

Case = namedtuple("Case", "name fn shapes domains rtol atol differentiable")

MASK = np.array([[True, False, True, True], [False, False, True, False], [True, True, False, True]])
IDX_REPEAT = np.array([0, 2, 0, 0])
ROWS, COLS = np.array([0, 2, 2]), np.array([1, 1, 3])
GATHER_IDX = np.array([[0, 0, 3], [2, 1, 1], [3, 3, 3]])
ZERO_AT_1 = np.array([[1.0, 0.0, 1.0], [1.0, 1.0, 1.0]])


def case(name, fn, *shapes, domains=None, rtol=1e-5, atol=1e-5, differentiable=True):
    return Case(name, fn, shapes, domains or ("any",) * len(shapes), rtol, atol, differentiable)


def _F(m):
    return m.nn.functional


CASES = [
    # ---- binary elementwise with broadcasting (seed 002 §2.4)
    case("add", lambda m, a, b: a + b, (3, 4), (3, 4)),
    case("add_bcast_row", lambda m, a, b: a + b, (3, 4), (4,)),
    case("add_bcast_both", lambda m, a, b: m.add(a, b), (2, 1, 3), (4, 1)),
    case("add_0d", lambda m, a, b: a + b, (), (3,)),
    case("add_size0", lambda m, a, b: a + b, (0, 3), (3,)),
    case("add_size1", lambda m, a, b: a + b, (1,), (5,)),
    case("add_scalar", lambda m, a: a + 1.5, (2, 3)),
    case("radd_scalar", lambda m, a: 2 + a, (2, 3)),
    case("sub", lambda m, a, b: a - b, (2, 3), (2, 1)),
    case("rsub_scalar", lambda m, a: 2.0 - a, (3,)),
    case("mul", lambda m, a, b: a * b, (4, 1, 5), (3, 1)),
    case("mul_scalar", lambda m, a: a * 3, (2, 3)),
    case("mul_self", lambda m, a: a * a, (3, 3)),
    case("div", lambda m, a, b: a / b, (2, 3), (3,), domains=("any", "pos")),
    case("rdiv_scalar", lambda m, a: 1 / a, (2, 3), domains=("pos",)),
    case("pow_tensor", lambda m, a, b: a ** b, (2, 3), (2, 3), domains=("pos", "any")),
    case("pow_bcast", lambda m, a, b: m.pow(a, b), (2, 3), (), domains=("pos", "any")),
    case("pow_int", lambda m, a: a ** 3, (2, 3)),
    case("pow_square", lambda m, a: a ** 2, (4,)),
    case("pow_half", lambda m, a: a ** 0.5, (2, 3), domains=("pos",)),
    case("rpow_scalar", lambda m, a: 2 ** a, (2, 3)),
    case("neg", lambda m, a: -a, (2, 3)),
    case("neg_fn", lambda m, a: m.neg(a), ()),
    # ---- unary elementwise
    case("exp", lambda m, a: m.exp(a), (3, 4)),
    case("exp_method", lambda m, a: a.exp(), ()),
    case("log", lambda m, a: m.log(a), (3, 4), domains=("pos",)),
    case("sqrt", lambda m, a: a.sqrt(), (5,), domains=("pos",)),
    case("abs", lambda m, a: m.abs(a), (3, 4), domains=("nonzero",)),
    case("clamp_both", lambda m, a: m.clamp(a, -0.5, 0.5), (4, 5)),
    case("clamp_min", lambda m, a: a.clamp(min=0.1), (4, 5)),
    case("clamp_max", lambda m, a: a.clamp(max=-0.2), (7,)),
    case("clip", lambda m, a: m.clip(a, -1, 1), (3, 3)),
    case("maximum", lambda m, a, b: m.maximum(a, b), (3, 4), (4,)),
    case("minimum", lambda m, a, b: m.minimum(a, b), (2, 1, 3), (2, 3)),
    case("where", lambda m, a, b: m.where(a > 0, a, b), (3, 4), (4,)),
    case("where_scalar", lambda m, a: m.where(a > 0, a, 0.0), (3, 4)),
    case("sigmoid", lambda m, a: m.sigmoid(a), (3, 4)),
    case("sigmoid_method", lambda m, a: a.sigmoid(), ()),
    case("tanh", lambda m, a: a.tanh(), (3, 4)),
    case("relu", lambda m, a: m.relu(a), (3, 4), domains=("nonzero",)),
    # ---- reductions (dims, keepdim, tuples, negative dims)
    case("sum_all", lambda m, a: a.sum(), (3, 4)),
    case("sum_dim", lambda m, a: a.sum(dim=1), (3, 4)),
    case("sum_neg_keep", lambda m, a: a.sum(dim=-1, keepdim=True), (2, 3, 4)),
    case("sum_tuple", lambda m, a: m.sum(a, dim=(0, 2)), (2, 3, 4)),
    case("sum_0d", lambda m, a: a.sum(), ()),
    case("sum_size0", lambda m, a: a.sum(dim=0), (0, 3)),
    case("mean_all", lambda m, a: a.mean(), (3, 5)),
    case("mean_dim_keep", lambda m, a: a.mean(dim=0, keepdim=True), (3, 5)),
    case("mean_tuple_neg", lambda m, a: m.mean(a, dim=(-1, -3)), (2, 3, 4)),
    case("amax_all", lambda m, a: a.max(), (3, 4)),
    case("amin_all", lambda m, a: m.min(a), (3, 4)),
    case("amax_dims", lambda m, a: a.amax(dim=(0, 2), keepdim=True), (2, 3, 4)),
    case("amin_dim", lambda m, a: m.amin(a, dim=-1), (3, 4)),
    case("max_dim_indices", lambda m, a: a.max(dim=1), (3, 5)),
    case("max_dim_keep", lambda m, a: m.max(a, dim=0, keepdim=True), (3, 5)),
    case("min_dim_indices", lambda m, a: a.min(dim=-1), (2, 3, 4)),
    case("argmax", lambda m, a: (a.argmax(dim=1), a.argmax(), m.argmax(a, dim=0, keepdim=True)), (3, 5),
         differentiable=False),
    case("argmin", lambda m, a: (a.argmin(dim=-1), m.argmin(a)), (3, 5), differentiable=False),
    case("var_all", lambda m, a: a.var(), (3, 4)),
    case("var_dim_biased", lambda m, a: a.var(dim=1, unbiased=False), (3, 4)),
    case("var_tuple_keep", lambda m, a: m.var(a, dim=(0, 2), keepdim=True), (2, 3, 4)),
    case("var_correction", lambda m, a: a.var(dim=0, correction=0), (5, 2)),
    case("std_all", lambda m, a: a.std(), (3, 4)),
    case("std_dim", lambda m, a: m.std(a, dim=-1, keepdim=True), (3, 4)),
    case("logsumexp", lambda m, a: m.logsumexp(a, dim=1), (3, 4)),
    case("logsumexp_keep", lambda m, a: a.logsumexp(dim=(0, 1), keepdim=True), (2, 3, 2)),
    # ---- matrix products (seed 000 §1)
    case("matmul_1d_1d", lambda m, a, b: a @ b, (3,), (3,)),
    case("matmul_2d_1d", lambda m, a, b: a @ b, (2, 3), (3,)),
    case("matmul_1d_2d", lambda m, a, b: m.matmul(a, b), (3,), (3, 4)),
    case("matmul_2d", lambda m, a, b: a @ b, (2, 3), (3, 4)),
    case("matmul_batched", lambda m, a, b: a.matmul(b), (2, 2, 3), (2, 3, 4)),
    case("matmul_bcast", lambda m, a, b: a @ b, (2, 1, 2, 3), (3, 3, 5)),
    case("matmul_batch_1d", lambda m, a, b: a @ b, (2, 4, 3), (3,)),
    case("matmul_1d_batch", lambda m, a, b: a @ b, (4,), (2, 4, 3)),
    case("matmul_odd", lambda m, a, b: a @ b, (7, 13), (13, 5)),
    # ---- shape
    case("reshape", lambda m, a: a.reshape(4, 3), (3, 4)),
    case("reshape_infer", lambda m, a: m.reshape(a, (-1, 2)), (2, 3, 2)),
    case("view", lambda m, a: a.view(2, -1), (3, 4)),
    case("view_0d", lambda m, a: a.view(1, 1), ()),
    case("flatten", lambda m, a: a.flatten(), (2, 3, 4)),
    case("flatten_range", lambda m, a: m.flatten(a, 1, 2), (2, 3, 4, 1)),
    case("transpose", lambda m, a: a.transpose(0, 2), (2, 3, 4)),
    case("transpose_fn", lambda m, a: m.transpose(a, -1, -2), (2, 3, 4)),
    case("permute", lambda m, a: a.permute(2, 0, 1), (2, 3, 4)),
    case("permute_fn", lambda m, a: m.permute(a, (1, 0, 2)), (2, 3, 4)),
    case("T", lambda m, a: a.T, (3, 4)),
    case("t", lambda m, a: a.t(), (3, 4)),
    case("mT", lambda m, a: a.mT, (2, 3, 4)),
    case("unsqueeze", lambda m, a: a.unsqueeze(1), (3, 4)),
    case("unsqueeze_neg", lambda m, a: m.unsqueeze(a, -1), (3,)),
    case("squeeze_all", lambda m, a: a.squeeze(), (1, 3, 1, 2)),
    case("squeeze_dim", lambda m, a: m.squeeze(a, 2), (1, 3, 1, 2)),
    case("squeeze_noop", lambda m, a: a.squeeze(1), (1, 3)),
    case("squeeze_tuple", lambda m, a: a.squeeze((0, 2, 3)), (1, 3, 1, 2)),
    case("expand", lambda m, a: a.expand(3, -1, 4), (1, 2, 1)),
    case("expand_new_dims", lambda m, a: a.expand(2, 3, 4), (4,)),
    case("expand_as", lambda m, a, b: a.expand_as(b), (3, 1), (3, 5)),
    case("repeat", lambda m, a: a.repeat(2, 1, 3), (2, 3)),
    case("repeat_same", lambda m, a: a.repeat(2, 2), (2, 3)),
    # ---- indexing
    case("index_int", lambda m, a: a[1], (3, 4)),
    case("index_neg", lambda m, a: a[-1, 2], (3, 4)),
    case("index_slice_step", lambda m, a: a[:, 1:6:2], (3, 7)),
    case("index_slices", lambda m, a: a[1:, :-1, ::3], (3, 4, 5)),
    case("index_none_ellipsis", lambda m, a: a[None, ..., 1], (2, 3, 4)),
    case("index_array_repeats", lambda m, a: a[m.tensor(IDX_REPEAT)], (3, 4)),
    case("index_list", lambda m, a: a[[1, 1, 0]], (3, 4)),
    case("index_array_2d", lambda m, a: a[m.tensor(ROWS), m.tensor(COLS)], (3, 4)),
    case("index_slice_array", lambda m, a: a[1:, m.tensor(IDX_REPEAT)], (3, 4)),
    case("index_int_slice_array", lambda m, a: a[1, :, m.tensor(IDX_REPEAT[:3])], (2, 3, 4)),
    case("index_bool_mask", lambda m, a: a[m.tensor(MASK)], (3, 4)),
    case("index_bool_rows", lambda m, a: a[m.tensor(MASK[:, 0])], (3, 4)),
    case("index_cmp_mask", lambda m, a: a[a > 0], (4, 5)),
    case("masked_fill", lambda m, a: a.masked_fill(m.tensor(MASK), 0.5), (3, 4)),
    # ---- joining and splitting
    case("cat", lambda m, a, b: m.cat([a, b], dim=0), (2, 3), (4, 3)),
    case("cat_neg_dim", lambda m, a, b, c: m.cat((a, b, c), dim=-1), (2, 1), (2, 3), (2, 0)),
    case("stack", lambda m, a, b: m.stack([a, b]), (2, 3), (2, 3)),
    case("stack_last", lambda m, a, b, c: m.stack([a, b, c], dim=-1), (2, 3), (2, 3), (2, 3)),
    case("split_size", lambda m, a: a.split(2, dim=1), (3, 5)),
    case("split_sections", lambda m, a: m.split(a, [1, 2], dim=0), (3, 4)),
    case("chunk", lambda m, a: a.chunk(3, dim=-1), (2, 7)),
    case("chunk_fn", lambda m, a: m.chunk(a, 2), (4, 3)),
    case("pad_last", lambda m, a: _F(m).pad(a, (1, 2)), (2, 3)),
    case("pad_two_dims", lambda m, a: _F(m).pad(a, (0, 1, 2, 0), value=0.5), (2, 3, 4)),
    # ---- more of torch's namespace
    case("sin", lambda m, a: m.sin(a), (3, 4)),
    case("cos", lambda m, a: a.cos(), (3, 4)),
    case("log1p", lambda m, a: m.log1p(a), (3, 4), domains=("pos",)),
    case("square", lambda m, a: a.square(), (3, 4)),
    case("rsqrt", lambda m, a: m.rsqrt(a), (3, 4), domains=("pos",)),
    case("floor_ceil_round_sign", lambda m, a: (m.floor(a * 3), a.ceil(), (a * 3 + 0.25).round(), m.sign(a), a.trunc()),
         (3, 4), domains=("nonzero",)),
    case("clamp_min_max", lambda m, a: (a.clamp_min(0.1), a.clamp_max(-0.1)), (3, 4)),
    case("add_alpha", lambda m, a, b: a.add(b, alpha=2.5) + a.sub(b, alpha=0.5), (2, 3), (3,)),
    case("prod_all", lambda m, a: a.prod(), (2, 3), domains=("pos",)),
    case("prod_dim", lambda m, a: m.prod(a, 1, keepdim=True), (3, 4)),
    case("prod_with_zero", lambda m, a: (a * m.tensor(ZERO_AT_1, dtype=a.dtype)).prod(dim=-1), (2, 3)),
    case("cumsum", lambda m, a: a.cumsum(1), (3, 4)),
    case("cumsum_neg", lambda m, a: m.cumsum(a, dim=-3), (2, 3, 2)),
    case("norm_all", lambda m, a: a.norm(), (3, 4)),
    case("norm_dim", lambda m, a: m.norm(a, dim=1, keepdim=True), (3, 4)),
    case("norm_p1_pinf", lambda m, a: (a.norm(p=1, dim=0), a.norm(p=float("inf"))), (3, 4), domains=("nonzero",)),
    case("norm_p3", lambda m, a: m.norm(a, p=3, dim=-1), (3, 4), domains=("nonzero",)),
    case("gather", lambda m, a: a.gather(1, m.tensor(GATHER_IDX)), (3, 4)),
    case("gather_fn", lambda m, a: m.gather(a, 0, m.tensor(GATHER_IDX[:, :2] % 3)), (3, 4)),
    case("index_select", lambda m, a: a.index_select(1, m.tensor(IDX_REPEAT)), (2, 4)),
    case("index_select_fn", lambda m, a: m.index_select(a, -2, m.tensor([2, 0])), (2, 3, 2)),
    case("tril", lambda m, a: m.tril(a), (3, 4)),
    case("triu_diag", lambda m, a: a.triu(diagonal=1), (2, 4, 4)),
    case("tril_neg", lambda m, a: m.tril(a, -1), (4, 3)),
    case("flip", lambda m, a: m.flip(a, [0, 2]), (2, 3, 4)),
    case("flip_method", lambda m, a: a.flip(-1), (3, 4)),
    case("unbind", lambda m, a: a.unbind(1), (2, 3)),
    case("unbind_fn", lambda m, a: m.unbind(a), (3, 2)),
    case("mm", lambda m, a, b: m.mm(a, b), (2, 3), (3, 4)),
    case("bmm", lambda m, a, b: a.bmm(b), (2, 2, 3), (2, 3, 4)),
    case("dot", lambda m, a, b: m.dot(a, b), (5,), (5,)),
    case("outer", lambda m, a, b: m.outer(a, b), (3,), (4,)),
    case("softmax", lambda m, a: m.softmax(a, dim=1), (3, 4)),
    case("log_softmax", lambda m, a: m.log_softmax(a, dim=-1), (3, 4)),
    case("softmax_method", lambda m, a: a.softmax(0), (3, 4)),
    case("sort", lambda m, a: m.sort(a, dim=1), (3, 5)),
    case("sort_desc", lambda m, a: a.sort(dim=0, descending=True), (4, 3)),
    case("argsort", lambda m, a: (a.argsort(dim=-1), m.argsort(a, dim=0, descending=True)), (3, 4),
         differentiable=False),
    case("topk", lambda m, a: m.topk(a, 2), (3, 5)),
    case("topk_smallest", lambda m, a: a.topk(3, dim=0, largest=False), (4, 3)),
    # ---- compositions that use the same tensor several times
    case("reuse_nonleaf", lambda m, a: (lambda h: h * h + h.sum())(a.exp()), (3,)),
    case("softmax_by_hand", lambda m, a: (a - a.amax(dim=1, keepdim=True)).exp() /
         (a - a.amax(dim=1, keepdim=True)).exp().sum(dim=1, keepdim=True), (3, 4)),
]

IDS = [c.name for c in CASES]
assert len(set(IDS)) == len(IDS), "duplicate case names"


def make_inputs(c, seed=0, dtype=np.float64):
    """Deterministic sample inputs for a case (float64 arrays, cast as asked)."""
    rng = np.random.default_rng(seed + sum(map(ord, c.name)))
    arrays = []
    for shape, dom in zip(c.shapes, c.domains):
        x = rng.standard_normal(shape)
        if dom == "pos":
            x = rng.uniform(0.5, 2.0, shape)
        elif dom == "nonzero":
            x = np.where(np.abs(x) < 0.1, 0.5, x)
        arrays.append(np.asarray(x, dtype=dtype))
    return arrays


def as_list(out):
    return list(out) if isinstance(out, (tuple, list)) else [out]


@pytest.mark.parametrize("c", CASES, ids=IDS)
def test_against_torch_float32(c):
    torch = pytest.importorskip("torch")
    arrays = make_inputs(c, dtype=np.float32)
    gx = [g.tensor(a, requires_grad=True) for a in arrays]
    tx = [torch.tensor(a, requires_grad=True) for a in arrays]
    gout, tout = as_list(c.fn(g, *gx)), as_list(c.fn(torch, *tx))
    assert len(gout) == len(tout)
    rng = np.random.default_rng(1)
    gdiff, tdiff, gv, tv = [], [], [], []
    for go, to in zip(gout, tout):
        ref = to.detach().numpy()
        assert tuple(go.shape) == tuple(ref.shape), f"{c.name}: shape {tuple(go.shape)} != torch {ref.shape}"
        assert go.numpy().dtype == ref.dtype, f"{c.name}: dtype {go.numpy().dtype} != torch {ref.dtype}"
        np.testing.assert_allclose(go.numpy(), ref, rtol=c.rtol, atol=c.atol, err_msg=f"{c.name}: forward")
        if ref.dtype.kind == "f" and to.requires_grad:
            assert go.requires_grad, f"{c.name}: output should require grad"
            v = rng.standard_normal(ref.shape).astype(np.float32)
            gdiff.append(go)
            tdiff.append(to)
            gv.append(g.tensor(v))
            tv.append(torch.tensor(v))
    assert bool(gdiff) == c.differentiable, f"{c.name}: differentiable outputs {len(gdiff)}"
    if not gdiff:
        assert all(not x.requires_grad for x in gout)
        return
    g.autograd.backward(gdiff, gv)
    torch.autograd.backward(tdiff, tv)
    for i, (a, b) in enumerate(zip(gx, tx)):
        tg = b.grad.numpy() if b.grad is not None else np.zeros(b.shape, np.float32)
        gg = a.grad.numpy() if a.grad is not None else np.zeros(a.shape, np.float32)
        assert gg.shape == tg.shape and gg.dtype == np.float32, f"{c.name}: grad {i} shape/dtype"
        np.testing.assert_allclose(gg, tg, rtol=c.rtol, atol=c.atol, err_msg=f"{c.name}: grad of input {i}")


@pytest.mark.parametrize("c", [c for c in CASES if c.differentiable], ids=lambda c: c.name)
def test_gradcheck_float64(c):
    arrays = make_inputs(c)
    xs = [g.tensor(a, requires_grad=True) for a in arrays]
    fast = sum(a.size for a in arrays) > 24
    assert g.gradcheck(lambda *t: c.fn(g, *t), xs, fast_mode=fast)


@pytest.mark.parametrize("c", [c for c in CASES if c.name in ("add_bcast_both", "matmul_bcast", "sum_tuple",
                                                            "index_array_repeats", "var_tuple_keep")],
                         ids=lambda c: c.name)
def test_float32_stays_float32(c):
    xs = [g.tensor(a, requires_grad=True) for a in make_inputs(c, dtype=np.float32)]
    outs = [o for o in as_list(c.fn(g, *xs)) if o.dtype.kind == "f"]
    assert all(o.dtype == np.float32 for o in outs)
    g.autograd.backward(outs, [g.ones_like(o) for o in outs])
    assert all(x.grad.dtype == np.float32 for x in xs)
