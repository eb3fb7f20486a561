"""Knowledge distillation: train a small student to imitate a trained teacher (seed 002 §3.12).

The student's loss mixes the teacher's outputs softened by a temperature T
(soft targets, which carry how the teacher ranks the wrong classes too) with
the true labels, through
:func:`gradiente.nn.functional.distillation_loss`:
``alpha * T^2 * KL(teacher_T || student_T) + (1 - alpha) * CE(student, labels)``.
"""
from ..autograd import no_grad
from ..nn import functional as F
from .trainer import Trainer


class DistillationTrainer(Trainer):
    """A :class:`Trainer` for the student whose loss is the distillation loss against ``teacher``.

    The teacher runs in eval mode without a graph; only the student's
    parameters (those of ``optimizer``) are updated.
    """

    def __init__(self, teacher, student, optimizer, T=4.0, alpha=0.5, **kwargs):
        if not callable(teacher) or not hasattr(teacher, "parameters"):
            raise TypeError(f"DistillationTrainer: teacher must be a Module, got {type(teacher).__name__}")
        if not T > 0:
            raise ValueError(f"DistillationTrainer: temperature T must be positive, got {T}")
        if not 0.0 <= alpha <= 1.0:
            raise ValueError(f"DistillationTrainer: alpha must be in [0, 1], got {alpha}")
        super().__init__(student, optimizer, self._no_loss, **kwargs)
        self.teacher = teacher
        self.T = float(T)
        self.alpha = float(alpha)

    @staticmethod
    def _no_loss(output, target):  # pragma: no cover - compute_loss replaces it
        raise RuntimeError("DistillationTrainer computes its loss from the teacher; loss_fn is unused")

    def compute_loss(self, inputs, output, target):
        was_training = getattr(self.teacher, "training", False)
        self.teacher.eval()
        try:
            with no_grad():
                teacher_logits = self.teacher(*inputs)
        finally:
            self.teacher.train(was_training)
        return F.distillation_loss(output, teacher_logits, target, T=self.T, alpha=self.alpha)


def distill(teacher, student, loader, optimizer, T=4.0, alpha=0.5, epochs=1, val_loader=None,
            metrics=("accuracy",), callbacks=(), progress=False):
    """Train ``student`` from ``teacher`` on ``loader`` for ``epochs`` epochs; returns the :class:`History`.

    ``T`` is the softmax temperature, ``alpha`` the weight of the soft
    (teacher) term; ``1 - alpha`` weighs the cross-entropy with the labels.
    ``loss`` and ``val_loss`` in the history are this distillation loss; the
    metrics (accuracy by default) compare the student with the true labels.
    """
    trainer = DistillationTrainer(teacher, student, optimizer, T=T, alpha=alpha, metrics=metrics,
                                  callbacks=callbacks, progress=progress)
    return trainer.fit(loader, val_loader, epochs=epochs)
