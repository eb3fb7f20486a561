"""Fused recurrent kernels: one layer, one direction, a whole sequence per call.

Elman RNN (seed 000 §6, seed 002 §4.5), LSTM (seed 002 §4.6) and GRU
(seed 002 §4.7), in PyTorch's form and gate order (LSTM i, f, g, o; GRU r, z, n).

Each kernel follows the same plan:

* the input projection of all time steps is one matrix product,
  ``X W_ih^T + b`` of shape (T*B, G*H) (the LSTM kernel folds it into the
  per-step product instead, see there);
* per step only the small product ``h_{t-1} W_hh^T`` and a few vectorised
  elementwise operations remain;
* backward through time is written out from the cell equations (the delta
  recursion of seed 000 §2 applied along time): the loop over steps computes
  the gate deltas, and the weight gradients are then two large products
  ``dG^T X`` and ``dG^T H_prev`` over all steps at once.

Inputs are time-major: ``x`` has shape (T, B, I), states (B, H). ``reverse``
runs the sequence from the last step to the first (the backward direction of
a bidirectional layer). ``mask`` (T, B), optional, marks valid steps of
variable-length sequences: on a padded step the state is carried over
unchanged and the output is zero, which is what PyTorch's packed sequences
compute.
"""
from ..autograd import Function
from ..backend import xp


def _order(T, reverse):
    return range(T - 1, -1, -1) if reverse else range(T)


def _prev_states(H, h0, reverse):
    """The state each step starts from, aligned with the time index: (T, B, H)."""
    if reverse:
        return xp.concatenate([H[1:], h0[None]], axis=0)
    return xp.concatenate([h0[None], H[:-1]], axis=0)


def _project(x, w_ih, bias):
    T, B, _ = x.shape
    proj = x.reshape(T * B, -1) @ w_ih.T
    if bias is not None:
        proj += bias
    return proj.reshape(T, B, -1)


def _input_grads(fn, dG, x, w_ih, w_hh, hprev):
    """Gradients of x, W_ih, W_hh and the biases from the gate deltas dG (T, B, G*H)."""
    T, B, G = dG.shape
    flat = dG.reshape(T * B, G)
    need = fn.needs_input_grad
    gx = (flat @ w_ih).reshape(x.shape) if need[0] else None
    gw_ih = flat.T @ x.reshape(T * B, -1) if need[fn.i_wih] else None
    gw_hh = flat.T @ hprev.reshape(T * B, -1) if need[fn.i_wih + 1] else None
    gb = flat.sum(axis=0) if fn.has_bias and (need[fn.i_wih + 2] or need[fn.i_wih + 3]) else None
    return gx, gw_ih, gw_hh, gb


def _check_dtypes(name, *arrays):
    dt = arrays[0].dtype
    for a in arrays[1:]:
        if a is not None and a.dtype != dt:
            raise TypeError(f"{name}: all inputs must share one dtype; got {dt} and {a.dtype}")


class RNNSequence(Function):
    """Elman layer over a sequence: h_t = phi(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh) (seed 002 §4.5).

    phi is tanh or ReLU. Backward: d(pre_t) = (dL/dh_t) phi'(pre_t), and
    dL/dh_{t-1} = d(pre_t) W_hh plus the output gradient at t-1.
    Returns (output (T, B, H), h_n (B, H)).
    """

    i_wih = 2

    def forward(self, x, h0, w_ih, w_hh, b_ih=None, b_hh=None, nonlinearity="tanh", reverse=False, mask=None):
        _check_dtypes("RNNSequence", x, h0, w_ih, w_hh, b_ih, b_hh)
        T, B, _ = x.shape
        self.has_bias = b_ih is not None
        bias = (b_ih + b_hh) if self.has_bias else None
        H = _project(x, w_ih, bias)  # pre-activations, overwritten in place by the states
        whh_t = w_hh.T
        relu = nonlinearity == "relu"
        h = h0
        for t in _order(T, reverse):
            pre = H[t]
            pre += h @ whh_t
            if relu:
                xp.maximum(pre, 0, out=pre)
            else:
                xp.tanh(pre, out=pre)
            if mask is not None:
                m = mask[t][:, None]
                xp.copyto(pre, h, where=~m)
            h = pre
        self.x, self.h0, self.w_ih, self.w_hh, self.H = x, h0, w_ih, w_hh, H
        self.relu, self.reverse, self.mask = relu, reverse, mask
        out = H if mask is None else H * mask[:, :, None]
        return out, h.copy()

    def backward(self, g_out, g_hn):
        H, w_hh, mask = self.H, self.w_hh, self.mask
        T = H.shape[0]
        dG = xp.empty_like(H)
        dh = g_hn
        for t in _order(T, not self.reverse):
            dh = dh + (g_out[t] if mask is None else g_out[t] * mask[t][:, None])
            h = H[t]
            d = dG[t]
            if self.relu:
                xp.multiply(dh, h > 0, out=d)
            else:
                xp.multiply(h, h, out=d)
                xp.subtract(1, d, out=d)
                d *= dh
            if mask is not None:
                m = mask[t][:, None]
                d *= m
                dh = dh * ~m + d @ w_hh
            else:
                dh = d @ w_hh
        hprev = _prev_states(H, self.h0, self.reverse)
        gx, gw_ih, gw_hh, gb = _input_grads(self, dG, self.x, self.w_ih, w_hh, hprev)
        return gx, dh, gw_ih, gw_hh, gb, gb


class LSTMSequence(Function):
    """LSTM layer over a sequence (seed 002 §4.6; seed 000 §6 in concatenated form).

    i, f, o = sigma(.), g = tanh(.) of W_i* x_t + b_i* + W_h* h_{t-1} + b_h*;
    c_t = f c_{t-1} + i g;  h_t = o tanh(c_t).
    Backward from the same equations: with dh = dL/dh_t and
    dc = dL/dc_t + dh o (1 - tanh^2 c_t): d o = dh tanh c_t, d i = dc g,
    d g = dc i, d f = dc c_{t-1}, dL/dc_{t-1} = dc f, and each gate's
    pre-activation delta times the derivative of its sigma or tanh.
    Returns (output (T, B, H), h_n, c_n).

    With a projection ``w_hr`` (P, H), P < H (PyTorch's ``proj_size``), the
    state is h_t = W_hr (o tanh c_t) of size P, and W_hh is (4H, P); each step
    adds the product W_hr r_t with r_t = o tanh(c_t). Backward takes
    dL/dr_t = W_hr^T dh where the equations above take dh, and
    dW_hr = sum_t dh_t r_t^T is one product over all steps. The output and
    h_n have P columns, c_n keeps H.

    Inside, the step loop works on transposed states (H, B) and, per step,
    a contiguous (5H, B) block of rows o, i, f, g, c_{t-1}: every operand of
    the many small elementwise operations is then contiguous (strided slices
    cost NumPy several times more), the three sigmas are one slice, and
    ``[i, f] * [g, c_{t-1}]`` is one product. Unlike the other kernels, the
    input projection is not a separate product: a step's pre-activations are
    one product of ``[W_hh, W_ih, b]`` with the column block ``[h; x_t; 1]``,
    which saves the addition of the two per step. The backward pass computes
    the step-independent factors of the deltas for all steps at once, so that
    each step is left with the products by dh and dc and the matrix product.
    """

    i_wih = 3

    @staticmethod
    def _perm(Hs):
        """Internal row order o, i, f, g of PyTorch's i, f, g, o."""
        return xp.concatenate([xp.arange(3 * Hs, 4 * Hs), xp.arange(3 * Hs)])

    def forward(self, x, h0, c0, w_ih, w_hh, b_ih=None, b_hh=None, w_hr=None, reverse=False, mask=None):
        _check_dtypes("LSTMSequence", x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr)
        T, B, _ = x.shape
        Hs, Ps = c0.shape[1], h0.shape[1]  # sizes of c and h: equal unless projected
        G = 4 * Hs
        self.has_bias = b_ih is not None
        perm = self._perm(Hs)
        # per step, one product W [h_{t-1}; x_t; 1] with W = [W_hh, W_ih, b_ih + b_hh] gives the
        # gate pre-activations; Z holds the columns [h; x; 1] of every step, h_0 at its place in time
        w = [w_hh, w_ih] + ([(b_ih + b_hh)[:, None]] if self.has_bias else [])
        W = xp.concatenate(w, axis=1)[perm]
        # sigma(z) = (1 + tanh(z / 2)) / 2: with the 1/2 folded into the rows of o, i, f, one tanh
        # over the whole gate block gives all four gates
        W[:3 * Hs] *= 0.5
        K = W.shape[1]
        Z = xp.empty((T + 1, K, B), dtype=x.dtype)
        zin, zout = (Z[1:], Z[:T]) if reverse else (Z[:T], Z[1:])  # step t reads zin[t], writes h_t to zout[t]
        zin[:, Ps:Ps + x.shape[2]] = x.transpose(0, 2, 1)
        if self.has_bias:
            zin[:, -1] = 1
        Z[T if reverse else 0, :Ps] = h0.T
        # per step t, A[t] holds the rows o, i, f, g, c_{t-1}
        A = xp.empty((T, 5 * Hs, B), dtype=x.dtype)
        TC = xp.empty((T, Hs, B), dtype=x.dtype)  # tanh(c_t)
        cn = xp.empty((Hs, B), dtype=x.dtype)
        prod = xp.empty((2 * Hs, B), dtype=x.dtype)
        R = None if w_hr is None else xp.empty((T, Hs, B), dtype=x.dtype)  # o tanh(c_t), projected to h_t
        order = _order(T, reverse)
        A[order[0], G:] = c0.T
        for k, t in enumerate(order):
            a = A[t]
            gates = a[:G]
            xp.matmul(W, zin[t], out=gates)
            xp.tanh(gates, out=gates)
            sig = a[:3 * Hs]
            sig *= 0.5
            sig += 0.5
            xp.multiply(a[Hs:3 * Hs], a[3 * Hs:], out=prod)  # i g, f c_{t-1}
            c = A[order[k + 1], G:] if k + 1 < T else cn
            xp.add(prod[:Hs], prod[Hs:], out=c)
            if mask is not None:
                keep = ~mask[t][None, :]
                xp.copyto(c, a[G:], where=keep)
            xp.tanh(c, out=TC[t])
            h = zout[t, :Ps]
            if R is None:
                xp.multiply(a[:Hs], TC[t], out=h)
            else:
                xp.multiply(a[:Hs], TC[t], out=R[t])
                xp.matmul(w_hr, R[t], out=h)
            if mask is not None:
                xp.copyto(h, zin[t, :Ps], where=keep)
        # the states batch-major with h_0 at its place in time: the output and, for dW_hh, the
        # state each step starts from are two views of one array
        Hb = xp.empty((T + 1, B, Ps), dtype=x.dtype)
        out, hprev = (Hb[:T], Hb[1:]) if reverse else (Hb[1:], Hb[:T])
        out[...] = zout[:, :Ps].transpose(0, 2, 1)
        Hb[T if reverse else 0] = h0
        self.x, self.w_ih, self.w_hh_p, self.w_hr = x, w_ih, w_hh[perm], w_hr
        self.A, self.TC, self.R, self.hprev = A, TC, R, hprev
        self.reverse, self.mask = reverse, mask
        if mask is not None:
            out = out * mask[:, :, None]
        return out, xp.ascontiguousarray(h.T), xp.ascontiguousarray(cn.T)

    def backward(self, g_out, g_hn, g_cn):
        A, TC, mask = self.A, self.TC, self.mask
        T, Hs, B = TC.shape
        G = 4 * Hs
        # step-independent factors of the deltas, rows o, i, f, g as the gates:
        # d o = dh * tanh(c) o (1 - o); d i = dc * g i (1 - i); d f = dc * c_{t-1} f (1 - f);
        # d g = dc * i (1 - g^2); and dc = dL/dc_t + dh * P with P = o (1 - tanh^2 c)
        D = xp.empty((T, G, B), dtype=A.dtype)
        sig = A[:, :3 * Hs]
        xp.subtract(1, sig, out=D[:, :3 * Hs])
        D[:, :3 * Hs] *= sig
        D[:, :Hs] *= TC
        D[:, Hs:3 * Hs] *= A[:, 3 * Hs:]
        dg = D[:, 3 * Hs:]
        xp.multiply(A[:, 3 * Hs:G], A[:, 3 * Hs:G], out=dg)
        xp.subtract(1, dg, out=dg)
        dg *= A[:, Hs:2 * Hs]
        P = xp.multiply(TC, TC)
        xp.subtract(1, P, out=P)
        P *= A[:, :Hs]
        if mask is not None:
            g_out = g_out * mask[:, :, None]
        GO = xp.ascontiguousarray(g_out.transpose(0, 2, 1)) if g_out.any() else None
        dh, dc = g_hn.T.copy(), g_cn.T.copy()  # updated in place below; never the caller's arrays
        dct = xp.empty((Hs, B), dtype=A.dtype)
        whh_t = xp.ascontiguousarray(self.w_hh_p.T)  # the per-step product is faster on it than on the view
        dr = dh  # dL/d(o tanh c_t): dh itself, or W_hr^T dh with a projection
        if self.w_hr is not None:
            whr_t = xp.ascontiguousarray(self.w_hr.T)
            dr = xp.empty((Hs, B), dtype=A.dtype)
            DH = xp.empty((T,) + dh.shape, dtype=A.dtype)  # dL/dh_t of every step, for dW_hr
        for t in _order(T, not self.reverse):
            if GO is not None:
                dh += GO[t]
            if mask is not None:
                m = mask[t][None, :]
                keep_h, keep_c = dh * ~m, dc * ~m
                dh *= m
                dc *= m
            if self.w_hr is not None:
                DH[t] = dh
                xp.matmul(whr_t, dh, out=dr)
            d = D[t]
            xp.multiply(dr, P[t], out=dct)
            dct += dc
            do, difg = d[:Hs], d[Hs:].reshape(3, Hs, B)
            do *= dr
            difg *= dct
            xp.multiply(dct, A[t, 2 * Hs:3 * Hs], out=dc)
            xp.matmul(whh_t, d, out=dh)
            if mask is not None:
                dh += keep_h
                dc += keep_c
        # the deltas gate-major in PyTorch's order i, f, g, o for the weight products over all steps
        dG = xp.empty((G, T, B), dtype=A.dtype)
        dG[:3 * Hs] = D[:, Hs:].transpose(1, 0, 2)
        dG[3 * Hs:] = D[:, :Hs].transpose(1, 0, 2)
        dG = dG.reshape(G, T * B)
        need = self.needs_input_grad
        gx = gw_ih = gw_hh = gb = gw_hr = None
        if need[0]:
            gx = (dG.T @ self.w_ih).reshape(self.x.shape)
        if need[3]:
            gw_ih = dG @ self.x.reshape(T * B, -1)
        if need[4]:
            gw_hh = dG @ self.hprev.reshape(T * B, -1)
        if self.has_bias and (need[5] or need[6]):
            gb = dG @ xp.ones(T * B, dtype=dG.dtype)  # row sums; as a product, BLAS is several times faster
        if self.w_hr is not None and need[7]:
            gw_hr = xp.tensordot(DH, self.R, axes=([0, 2], [0, 2]))  # sum_t dh_t r_t^T
        return gx, dh.T, dc.T, gw_ih, gw_hh, gb, gb, gw_hr


class GRUSequence(Function):
    """GRU layer over a sequence (seed 002 §4.7), PyTorch's form with b_hn inside the reset product.

    r = sigma(W_ir x + b_ir + W_hr h + b_hr),  z = sigma(W_iz x + b_iz + W_hz h + b_hz),
    n = tanh(W_in x + b_in + r (W_hn h + b_hn)),  h_t = (1 - z) n + z h_{t-1}.
    Backward: dn = dh (1 - z), dz = dh (h_{t-1} - n), and through n's
    pre-activation a_n: d(W_hn h + b_hn) = da_n r, dr = da_n (W_hn h + b_hn);
    dL/dh_{t-1} = dh z + [dr, dz, da_n r] W_hh.
    Returns (output (T, B, H), h_n).

    The step loop follows the LSTM kernel's layout: transposed states (H, B)
    and a contiguous gate block per step, r and z from one tanh. As there,
    the r and z pre-activations of a step are one product with
    ``[h; 1; x_t]``; n needs W_hn h apart from W_in x, so a second per-step
    product gives ``W_hn h + b_hn`` and W_in x + b_in of all steps is one
    batched product before the loop. Every delta of a step is dh times a
    factor that does not depend on dh, so backward computes those factors for
    all steps at once and each step is left with one product by dh, the
    matrix product and dh z.
    """

    i_wih = 2

    def forward(self, x, h0, w_ih, w_hh, b_ih=None, b_hh=None, reverse=False, mask=None):
        _check_dtypes("GRUSequence", x, h0, w_ih, w_hh, b_ih, b_hh)
        T, B, _ = x.shape
        Hs = h0.shape[1]
        self.has_bias = b_ih is not None
        # Z holds the columns [h; 1; x] of every step, h_0 at its place in time; r and z come
        # from one product [W_hh, b_ih + b_hh, W_ih] [h; 1; x_t] per step, halved for
        # sigma(z) = (1 + tanh(z / 2)) / 2; W_hn h + b_hn from [W_hn, b_hn] [h; 1], and
        # W_in x + b_in of every step from one batched product before the loop
        Hs2, K = 2 * Hs, Hs + self.has_bias
        w_rz, w_n, w_in = [w_hh[:Hs2]], [w_hh[Hs2:]], [w_ih[Hs2:]]
        if self.has_bias:
            w_rz.append((b_ih[:Hs2] + b_hh[:Hs2])[:, None])
            w_n.append(b_hh[Hs2:, None])
            w_in.insert(0, b_ih[Hs2:, None])
        W_rz = xp.concatenate(w_rz + [w_ih[:Hs2]], axis=1) * 0.5
        W_n = xp.concatenate(w_n, axis=1)
        Z = xp.empty((T + 1, K + x.shape[2], B), dtype=x.dtype)
        zin, zout = (Z[1:], Z[:T]) if reverse else (Z[:T], Z[1:])  # step t reads zin[t], writes h_t to zout[t]
        zin[:, K:] = x.transpose(0, 2, 1)
        if self.has_bias:
            Z[:, Hs] = 1
        Z[T if reverse else 0, :Hs] = h0.T
        XN = xp.matmul(xp.concatenate(w_in, axis=1), zin[:, Hs:])  # (T, H, B)
        A = xp.empty((T, 3 * Hs, B), dtype=x.dtype)  # per step the rows r, z, W_hn h + b_hn
        N = xp.empty((T, Hs, B), dtype=x.dtype)
        for t in _order(T, reverse):
            a, zt = A[t], zin[t]
            rz = a[:Hs2]
            xp.matmul(W_rz, zt, out=rz)
            xp.matmul(W_n, zt[:K], out=a[Hs2:])
            xp.tanh(rz, out=rz)
            rz *= 0.5
            rz += 0.5
            n = N[t]
            xp.multiply(a[:Hs], a[Hs2:], out=n)
            n += XN[t]
            xp.tanh(n, out=n)
            # h_t = n + z (h_{t-1} - n)
            hprev, h = zin[t, :Hs], zout[t, :Hs]
            xp.subtract(hprev, n, out=h)
            h *= a[Hs:2 * Hs]
            h += n
            if mask is not None:
                xp.copyto(h, hprev, where=~mask[t][None, :])
        # the states batch-major with h_0 at its place in time: the output and, for dW_hh, the
        # state each step starts from are two views of one array
        Hb = xp.empty((T + 1, B, Hs), dtype=x.dtype)
        out, hprev = (Hb[:T], Hb[1:]) if reverse else (Hb[1:], Hb[:T])
        out[...] = zout[:, :Hs].transpose(0, 2, 1)
        Hb[T if reverse else 0] = h0
        self.x, self.w_ih, self.w_hh = x, w_ih, w_hh
        self.A, self.N, self.hprevT, self.hprev = A, N, zin[:, :Hs], hprev
        self.reverse, self.mask = reverse, mask
        if mask is not None:
            out = out * mask[:, :, None]
        return out, xp.ascontiguousarray(h.T)

    def backward(self, g_out, g_hn):
        A, N, mask = self.A, self.N, self.mask
        T, Hs, B = N.shape
        r, z, hn = A[:, :Hs], A[:, Hs:2 * Hs], A[:, 2 * Hs:]
        # the deltas of a step are dh times these factors, rows d(W_hn h + b_hn), dr, dz, da_n:
        # da_n = dh (1 - z)(1 - n^2), d(W_hn h + b_hn) = da_n r, dr = da_n r (1 - r) hn,
        # dz = dh (h_{t-1} - n) z (1 - z)
        D = xp.empty((T, 4 * Hs, B), dtype=N.dtype)
        dhn, dr, dz, dan = (D[:, k * Hs:(k + 1) * Hs] for k in range(4))
        omz = xp.subtract(1, z, out=dr)  # 1 - z, held where dr goes until dr is computed
        xp.multiply(N, N, out=dan)
        xp.subtract(1, dan, out=dan)
        dan *= omz
        xp.subtract(self.hprevT, N, out=dz)
        dz *= z
        dz *= omz
        xp.multiply(dan, r, out=dhn)
        xp.subtract(1, r, out=dr)
        dr *= dhn
        dr *= hn
        carry = z  # dL/dh_{t-1} = dh z + deltas W_hh; on a padded step dh passes unchanged
        if mask is not None:
            m = mask[:, None, :]
            D *= m
            carry = xp.where(m, z, 1)
            g_out = g_out * mask[:, :, None]
        GO = xp.ascontiguousarray(g_out.transpose(0, 2, 1)) if g_out.any() else None
        # the per-step product takes the deltas in the rows' order n, r, z
        w_hh = self.w_hh
        whh_t = xp.ascontiguousarray(xp.concatenate([w_hh[2 * Hs:], w_hh[:2 * Hs]]).T)
        dh = g_hn.T.copy()  # updated in place below; never the caller's array
        tmp = xp.empty((Hs, B), dtype=N.dtype)
        for t in _order(T, not self.reverse):
            if GO is not None:
                dh += GO[t]
            d = D[t]
            d.reshape(4, Hs, B)[...] *= dh
            xp.multiply(dh, carry[t], out=tmp)
            xp.matmul(whh_t, d[:3 * Hs], out=dh)
            dh += tmp
        # gate-major over all steps: rows n, r, z of W_hh's deltas and r, z, n of W_ih's
        dG = xp.ascontiguousarray(D.transpose(1, 0, 2)).reshape(4 * Hs, T * B)
        d_ih, d_hh = dG[Hs:], dG[:3 * Hs]
        need = self.needs_input_grad
        gx = gw_ih = gw_hh = gb_ih = gb_hh = None
        if need[0]:
            gx = xp.matmul(D[:, Hs:].transpose(0, 2, 1), self.w_ih)  # batched: faster than from dG
        if need[2]:
            gw_ih = d_ih @ self.x.reshape(T * B, -1)
        if need[3]:
            g = d_hh @ self.hprev.reshape(T * B, Hs)
            gw_hh = xp.concatenate([g[Hs:], g[:Hs]])
        if self.has_bias and (need[4] or need[5]):
            s = dG @ xp.ones(T * B, dtype=dG.dtype)  # row sums; as a product, BLAS is several times faster
            gb_ih = s[Hs:]
            gb_hh = xp.concatenate([s[Hs:3 * Hs], s[:Hs]])
        return gx, dh.T, gw_ih, gw_hh, gb_ih, gb_hh
