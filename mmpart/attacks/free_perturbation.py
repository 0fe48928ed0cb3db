"""The perturbation of free adversarial training (Shafahi et al. 2019), stepped by the training backward pass."""
from typing import Any, Dict, Optional

import torch

from mmpart.registry import ATTACKS

from .base import AttackResult, BaseAttack, LogitsFn
from .threat_model import check_norm, eps_unit, resolve_eps, threat_model


@ATTACKS.register_module()
class FreePerturbation(BaseAttack):
    """Free AT's perturbation ("minibatch replay"): one perturbation ``δ`` carried over from step to step, and
    stepped by the input gradient of the **training** backward pass, so the attack costs no pass of its own.

    As the training attack of :class:`~mmpart.models.classifiers.adversarial.AdversarialTrainMixin` (``attack=
    dict(type='FreePerturbation', eps=4)``) with each batch replayed ``m`` times
    (:class:`~mmpart.engine.loops.MinibatchReplayTrainLoop`), a training step is, as the reference code::

        x' = clamp(x + δ, 0, 1);  loss(x').backward();  δ ← clip(δ + step · sign(∇_δ loss), -ε, ε);  θ ← θ - lr · ∇_θ

    ``δ`` (pixel space, one per position in the batch) starts at 0, is carried over to the next replay of the
    batch and then to the next batch, as the reference's ``global_noise_data``; a smaller batch uses its first
    rows, a batch of another image size starts again from 0. ``δ`` is the gradient of the loss before its
    optimizer step: both come from the same backward. A gradient that is not finite (an fp16 overflow, for which
    ``AmpOptimWrapper`` skips the step too) leaves ``δ`` as it was. ``δ`` is training state:
    :class:`~mmpart.engine.hooks.TrainingAttackStateHook` (on in ``default_runtime.py``) keeps it in checkpoints
    (:meth:`state_dict`), so a resumed run continues it.

    It is not an evaluation attack: without a training backward it never moves (``run`` refuses).

    Args:
        eps: L∞ radius in /255 units (default 4/255).
        step_size: step of ``δ`` per replay in /255 units; default ``eps`` (the reference's ``fgsm_step``).
        norm: ``'linf'`` (the only one the method defines).
    """

    def __init__(self, eps: Optional[float] = None, step_size: Optional[float] = None, norm: str = 'linf') -> None:
        self.norm = check_norm(norm, ('linf', ))
        self.eps = resolve_eps(eps, norm)
        self.step_size = self.eps if step_size is None else step_size
        self.delta: Optional[torch.Tensor] = None

    def threat_model(self) -> Dict[str, Any]:
        return threat_model(type(self).__name__, self.norm, self.eps, steps=1, step_size=self.step_size,
                            random_start=False)

    def _carried_over(self, images: torch.Tensor) -> torch.Tensor:
        """The rows of ``δ`` for this batch (grown with zeros, or started again for another image size)."""
        n = images.size(0)
        if self.delta is None or self.delta.shape[1:] != images.shape[1:]:
            self.delta = torch.zeros_like(images)
        elif self.delta.device != images.device or self.delta.dtype != images.dtype:  # e.g. resumed from a checkpoint
            self.delta = self.delta.to(images)
        if self.delta.size(0) < n:
            self.delta = torch.cat([self.delta, self.delta.new_zeros(n - self.delta.size(0), *images.shape[1:])])
        return self.delta[:n]

    def __call__(self, logits_fn: LogitsFn, images: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """``clamp(images + δ, 0, 1)``, differentiable in ``δ``: its gradient, when the training loss is
        back-propagated, steps ``δ``."""
        delta = self._carried_over(images.detach()).clone().requires_grad_(True)
        delta.register_hook(self._step)
        return (images.detach() + delta).clamp(0, 1)

    def _step(self, grad: torch.Tensor) -> None:
        if not torch.isfinite(grad).all():
            return
        unit = eps_unit(self.norm)
        with torch.no_grad():
            rows = self.delta[:grad.size(0)]
            rows.copy_((rows + self.step_size * unit * grad.sign()).clamp(-self.eps * unit, self.eps * unit))

    def state_dict(self) -> Dict[str, Optional[torch.Tensor]]:
        """The carried-over ``δ`` (None before the first step)."""
        return {'delta': self.delta}

    def load_state_dict(self, state: Dict[str, Optional[torch.Tensor]]) -> None:
        """Continue from a :meth:`state_dict` (``δ`` moves to the images' device at the next step)."""
        self.delta = state['delta']

    def run(self, logits_fn: LogitsFn, images: torch.Tensor, labels: torch.Tensor) -> AttackResult:
        raise TypeError('FreePerturbation is stepped by the training backward pass (free adversarial training) and '
                        'never moves in an evaluation: evaluate with PGD, APGD or AutoAttack')
