"""Layers and models as modules, with ``torch.nn``'s names."""
from .parameter import Parameter
from .module import Module
from .container import Sequential, ModuleList, ModuleDict
from .linear import Linear, Identity, Flatten, Unflatten
from .activation import (
    Step, Sigmoid, Tanh, ReLU, LeakyReLU, PReLU, ELU, SELU, GELU, Softplus, SiLU, Softmax, LogSoftmax,
)
from .loss import (
    MSELoss, L1Loss, CrossEntropyLoss, NLLLoss, BCELoss, BCEWithLogitsLoss, KLDivLoss, DistillationLoss,
)
from .dropout import Dropout, Dropout1d, Dropout2d
from .embedding import Embedding
from .normalization import LayerNorm, BatchNorm1d, BatchNorm2d
from .perceptron import Perceptron
from .residual import Residual
from .regularization import l1_penalty, l2_penalty, elastic_net_penalty
from .attention import MultiheadAttention
from .transformer import (
    Transformer, TransformerEncoder, TransformerDecoder, TransformerEncoderLayer, TransformerDecoderLayer,
)
from .positional import SinusoidalPositionalEncoding, LearnedPositionalEmbedding, PatchEmbedding
from .conv import Conv1d, Conv2d, Conv3d, ConvTranspose1d, ConvTranspose2d, ConvTranspose3d
from .pooling import (
    MaxPool1d, MaxPool2d, MaxPool3d, AvgPool1d, AvgPool2d, AvgPool3d,
    AdaptiveAvgPool1d, AdaptiveAvgPool2d, AdaptiveAvgPool3d,
)
from .padding import (
    ZeroPad1d, ZeroPad2d, ZeroPad3d, ConstantPad1d, ConstantPad2d, ConstantPad3d,
    ReflectionPad1d, ReflectionPad2d, ReflectionPad3d, ReplicationPad1d, ReplicationPad2d, ReplicationPad3d,
    CircularPad1d, CircularPad2d, CircularPad3d,
)
from .upsample import Upsample, UpsamplingNearest2d
from .recurrent import RNNBase, RNN, LSTM, GRU, RNNCellBase, RNNCell, LSTMCell, GRUCell
from . import init, functional
from . import utils  # noqa: F401
