"""Optimizers and learning-rate schedulers, with ``torch.optim``'s names and update rules (seed 002 §3.7-§3.8)."""
from .optimizer import Optimizer
from .sgd import SGD
from .adagrad import Adagrad
from .adadelta import Adadelta
from .rmsprop import RMSprop
from .adam import Adam, AdamW
from . import lr_scheduler
