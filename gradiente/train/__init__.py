"""Training: the ``Trainer``, callbacks, metrics, checkpoints, transfer learning and distillation (seed 002 §3)."""
from .trainer import Trainer
from .history import History
from .callbacks import Callback, EarlyStopping, LRSchedulerCallback, ModelCheckpoint
from .checkpoint import save_checkpoint, load_checkpoint
from .transfer import freeze, unfreeze, replace_head, param_groups_for_finetune, count_parameters
from .distill import distill, DistillationTrainer
from . import metrics
from .metrics import accuracy, confusion_matrix, precision_recall_f1, precision, recall, f1_score

__all__ = ["Trainer", "History", "Callback", "EarlyStopping", "LRSchedulerCallback", "ModelCheckpoint",
           "save_checkpoint", "load_checkpoint", "freeze", "unfreeze", "replace_head",
           "param_groups_for_finetune", "count_parameters", "distill", "DistillationTrainer", "metrics",
           "accuracy", "confusion_matrix", "precision_recall_f1", "precision", "recall", "f1_score"]
