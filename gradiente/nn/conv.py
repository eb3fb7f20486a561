"""Convolutional layers (seed 000 §5; seed 001; seed 002 §4.2, §4.3): ``Conv1d``, ``Conv2d``, ``Conv3d``,
``ConvTranspose1d``, ``ConvTranspose2d``, ``ConvTranspose3d``.

A convolutional layer is the dense layer z = W a + b with two constraints
(seed 000 §5): each output sees only a local window (locality) and every
window uses the same kernel (parameter sharing). Its parameters do not
depend on the input size. Parameter shapes, defaults, initialisation and
state_dict keys are PyTorch's: ``weight`` (out, in/groups, *k) for the
convolution, (in, out/groups, *k) for the transposed one, and both start
uniform in (-1/sqrt(fan_in), 1/sqrt(fan_in)) (Kaiming-uniform with a = sqrt(5)).

``padding_mode`` chooses what fills the padding margin (seed 002 §4.2): 'zeros'
(inside the kernel), or 'reflect', 'replicate', 'circular', where, as in
PyTorch, the input is first padded with that mode (``functional.pad``) and then
convolved with padding 0. The transposed convolutions take 'zeros' only.
"""

from ..creation import empty
from ..ops import conv as _conv, pad as _pad
from . import init
from ._checks import check_int
from .module import Module
from .parameter import Parameter


PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


class _ConvNd(Module):
    _nd = 2
    _transposed = False

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1, bias=True,
                 padding_mode="zeros", output_padding=0, dtype=None):
        super().__init__()
        name = type(self).__name__
        nd = self._nd
        for arg, v in (("in_channels", in_channels), ("out_channels", out_channels), ("groups", groups)):
            check_int(name, arg, v)
        if in_channels % groups:
            raise ValueError(f"{name}: in_channels ({in_channels}) must be divisible by groups ({groups})")
        if out_channels % groups:
            raise ValueError(f"{name}: out_channels ({out_channels}) must be divisible by groups ({groups})")
        if padding_mode not in PADDING_MODES:
            raise ValueError(f"{name}: padding_mode must be one of {', '.join(map(repr, PADDING_MODES))}, "
                             f"got padding_mode={padding_mode!r}")
        if self._transposed and padding_mode != "zeros":
            raise ValueError(f"{name}: only padding_mode='zeros' is supported for transposed convolutions, "
                             f"got {padding_mode!r}")
        kernel_size = _conv.ntuple(kernel_size, nd, "kernel_size", name)
        if any(k < 1 for k in kernel_size):
            raise ValueError(f"{name}: kernel_size must be positive, got {kernel_size}")
        stride = _conv.ntuple(stride, nd, "stride", name)
        dilation = _conv.ntuple(dilation, nd, "dilation", name)
        if isinstance(padding, str):
            if self._transposed:
                raise ValueError(f"{name}: padding must be an int or a tuple, got {padding!r}")
            if padding not in ("same", "valid"):
                raise ValueError(f"{name}: padding must be 'same', 'valid', an int or a tuple, got {padding!r}")
            if padding == "same" and any(s != 1 for s in stride):
                raise ValueError(f"{name}: padding='same' is not supported for strided convolutions (stride={stride})")
        else:
            padding = _conv.ntuple(padding, nd, "padding", name)
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size, self.stride, self.padding, self.dilation = kernel_size, stride, padding, dilation
        self.groups, self.padding_mode = groups, padding_mode
        self.transposed = self._transposed
        self.output_padding = _conv.ntuple(output_padding, nd, "output_padding", name)
        if self._transposed:
            shape = (in_channels, out_channels // groups) + kernel_size
        else:
            shape = (out_channels, in_channels // groups) + kernel_size
        if isinstance(padding, str):
            pads = _conv.same_padding(kernel_size, dilation) if padding == "same" else ((0, 0),) * nd
        else:
            pads = tuple((p, p) for p in padding)
        # functional.pad's argument for the other modes: (before, after) pairs from the last dim backwards
        self._reversed_padding_repeated_twice = tuple(p for pair in reversed(pads) for p in pair)
        if padding_mode != "zeros":
            pads = ((0, 0),) * nd  # the margin is added by pad(), the convolution itself pads nothing
        # normalised geometry for the fast path of forward (the arguments were checked above)
        self._pads = pads
        self._span = tuple(d * (k - 1) + 1 for k, d in zip(kernel_size, dilation))
        self.weight = Parameter(empty(*shape, dtype=dtype))
        if bias:
            self.bias = Parameter(empty(out_channels, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        init.default_affine_(self.weight, self.bias)

    def _check_channels(self, x):
        nd = self._nd
        if x.ndim not in (nd + 1, nd + 2) or x.shape[-nd - 1] != self.in_channels:
            raise ValueError(
                f"{type(self).__name__}({self.in_channels}, {self.out_channels}): expected input "
                f"{_conv.batched_layout(nd)} with "
                f"C={self.in_channels} (batch dim optional), got shape {tuple(x.shape)}"
            )

    def _conv_forward(self, x, functional):
        """ConvNd directly when the input is a well-formed batch; else the functional form's checks and errors.

        With a padding_mode other than 'zeros' the input is padded first and convolved with padding 0.
        """
        nd = self._nd
        padding = self.padding
        if self.padding_mode != "zeros":
            x = _pad(x, self._reversed_padding_repeated_twice, mode=self.padding_mode)
            padding = 0
        if x.ndim == nd + 2 and x.data.dtype == self.weight.data.dtype and all(
                x.shape[2 + i] + self._pads[i][0] + self._pads[i][1] >= self._span[i] for i in range(nd)):
            return _conv.ConvNd.apply(x, self.weight, self.bias, stride=self.stride, padding=self._pads,
                                      dilation=self.dilation, groups=self.groups)
        return functional(x, self.weight, self.bias, self.stride, padding, self.dilation, self.groups)

    def extra_repr(self):
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != (0,) * self._nd:
            s += f", padding={self.padding}"
        if self.dilation != (1,) * self._nd:
            s += f", dilation={self.dilation}"
        if self._transposed and self.output_padding != (0,) * self._nd:
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s


class Conv1d(_ConvNd):
    """1-D convolution over (N, C_in, L) -> (N, C_out, L_out) (seed 002 §4.2; seed 003: 1-D CNNs for sequences)."""

    _nd = 1

    def forward(self, x):
        self._check_channels(x)
        return self._conv_forward(x, _conv.conv1d)


class Conv2d(_ConvNd):
    """2-D convolution over (N, C_in, H, W) -> (N, C_out, H_out, W_out), the sum of seed 000 §5."""

    _nd = 2

    def forward(self, x):
        self._check_channels(x)
        return self._conv_forward(x, _conv.conv2d)


class Conv3d(_ConvNd):
    """3-D convolution over (N, C_in, D, H, W) -> (N, C_out, D_out, H_out, W_out): the same sum with a third
    kernel axis (volumes, video; seed 002 §4.2 mentions 1-D and 3-D convolutions beside the 2-D one)."""

    _nd = 3

    def forward(self, x):
        self._check_channels(x)
        return self._conv_forward(x, _conv.conv3d)


class _ConvTransposeNd(_ConvNd):
    _transposed = True

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, output_padding=0, groups=1,
                 bias=True, dilation=1, padding_mode="zeros", dtype=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias,
                         padding_mode, output_padding, dtype)

    def _output_padding(self, x, output_size):
        if output_size is None:
            return self.output_padding
        nd = self._nd
        size = tuple(output_size)[-nd:]
        pads = []
        for i in range(nd):
            base = ((x.shape[-nd + i] - 1) * self.stride[i] - 2 * self.padding[i]
                    + self.dilation[i] * (self.kernel_size[i] - 1) + 1)
            extra = size[i] - base
            if extra < 0 or extra >= max(self.stride[i], self.dilation[i]):
                raise ValueError(f"{type(self).__name__}: requested output_size {tuple(output_size)} cannot be "
                                 f"reached from input shape {tuple(x.shape)}")
            pads.append(extra)
        return tuple(pads)

    def forward(self, x, output_size=None):
        self._check_channels(x)
        fn = {1: _conv.conv_transpose1d, 2: _conv.conv_transpose2d, 3: _conv.conv_transpose3d}[self._nd]
        return fn(x, self.weight, self.bias, self.stride, self.padding, self._output_padding(x, output_size),
                  self.groups, self.dilation)


class ConvTranspose1d(_ConvTransposeNd):
    """1-D transposed convolution (seed 002 §4.9): upsampling by the adjoint of Conv1d."""

    _nd = 1


class ConvTranspose2d(_ConvTransposeNd):
    """2-D transposed convolution (seed 002 §4.9): the decoder's upsampling layer, the adjoint of Conv2d."""

    _nd = 2


class ConvTranspose3d(_ConvTransposeNd):
    """3-D transposed convolution (seed 002 §4.3): the adjoint of Conv3d, upsampling volumes."""

    _nd = 3
