"""Adversarial weight perturbation (AWP, Wu et al. 2020) around each training step."""
from typing import Callable, Dict, List, Optional, Tuple

import torch
import torch.distributed as dist
import torch.nn as nn
from mmengine.dist import get_world_size
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from mmpart.attacks.gradients import FP16_LOGIT_GRAD_SCALE, fp16_autocast
from mmpart.registry import HOOKS


@HOOKS.register_module()
class AdversarialWeightPerturbationHook(Hook):
    """Trains at adversarially perturbed weights: before each training forward the weights move by ``v`` in the
    direction that increases the training loss, and after the optimizer step ``v`` is taken away again.

    Per weight tensor ``w`` (dimension > 1: conv and linear weights; biases and norms stay, as the reference code)
    ``v = gamma · ‖w‖ / ‖g‖ · g`` with ``g`` the gradient of the training loss at the current weights on the batch
    the step trains on (after its attack: the reference perturbs on the adversarial examples). The gradient of the
    step is taken at ``w + v`` and applied to the weights, then ``v`` is subtracted: ``w ← w + v − lr·∇L(w + v) −
    v``. This is the reference code's proxy-model ascent step (one SGD step on ``−L``, rescaled per layer), computed
    with ``torch.autograd.grad`` on the model itself (no proxy copy, no ``.grad`` touched); the proxy's forward
    does not count for BN: running statistics are restored after it.

    The loss is the model's whole training loss (PGD-AT: the loss on the adversarial batch, label smoothing included,
    MPM: with the part loss; TRADES: its three terms), through the hook point of :class:`AdversarialTrainMixin`;
    ``loss='plain_ce'`` follows the reference code's instead (the unsmoothed cross entropy, plus TRADES' KL term, of
    the classification logits; :meth:`AdversarialTrainMixin.plain_ce_losses`). Under DDP every process
    averages the gradient over the processes first, so all perturb alike and the step equals a single-process
    step on the global batch. Under fp16 autocast the loss is scaled before the gradient (the direction is
    unchanged) and a layer whose gradient is not finite is left unperturbed.

    Registered with priority ``VERY_HIGH`` so the weights are restored before other hooks (EMA, checkpoints) read
    them after an iteration.

    Args:
        gamma: size of the perturbation relative to each weight's norm (DESIGN §11: 5e-3; the AWP reference code's
            defaults are 1e-2 for PGD-AT with a PreAct ResNet-18 and 5e-3 for TRADES with a WRN-34-10, on CIFAR).
        warmup_epochs: epochs trained without perturbation first: AWP runs from the 0-based epoch ``warmup_epochs``
            on. The reference's ``--awp-warmup N`` compares with a 0-based epoch in its PGD-AT script (``AT_AWP``: N
            here) and with a 1-based one in its TRADES script (``trades_AWP``, epochs from 1: N - 1 here).
        loss: ``'training'`` (default): the perturbation ascends the model's training loss; ``'plain_ce'``: the
            reference code's loss (see above).
    """

    priority = 'VERY_HIGH'

    def __init__(self, gamma: float = 5e-3, warmup_epochs: int = 0, loss: str = 'training') -> None:
        if gamma < 0 or warmup_epochs < 0:
            raise ValueError(f'gamma and warmup_epochs must be >= 0, got {gamma}, {warmup_epochs}')
        if loss not in ('training', 'plain_ce'):
            raise ValueError(f"loss must be 'training' or 'plain_ce', got {loss!r}")
        self.gamma, self.warmup_epochs, self.loss = gamma, warmup_epochs, loss
        self.applied: List[Tuple[nn.Parameter, torch.Tensor]] = []

    @staticmethod
    def _model(runner) -> nn.Module:
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        if not hasattr(model, 'weight_perturbation'):
            raise TypeError('AdversarialWeightPerturbationHook needs a model with the adversarial training step '
                            '(AdvImageClassifier, MPMClassifier, ...: AdversarialTrainMixin); got '
                            f'{type(model).__name__}')
        return model

    def before_train(self, runner) -> None:
        self._model(runner)

    def before_train_iter(self, runner, batch_idx: int, data_batch: Optional[dict] = None) -> None:
        """Ask the model for the perturbation hook point once the warm-up is over."""
        self._model(runner).weight_perturbation = self if runner.epoch >= self.warmup_epochs else None

    def perturb(self, model: nn.Module, losses_fn: Callable[[], Dict[str, torch.Tensor]]) -> None:
        """Add ``v`` to the weights (called by the model between its attack and its training forward)."""
        self.restore()  # a step that failed after perturbing must not leave its perturbation behind
        weights = [p for p in model.parameters() if p.requires_grad and p.dim() > 1]
        buffers = [(b, b.detach().clone()) for b in model.buffers()]
        with torch.enable_grad():
            loss, _ = model.parse_losses(losses_fn())
            if fp16_autocast(loss.device.type):
                loss = loss * FP16_LOGIT_GRAD_SCALE
            grads = torch.autograd.grad(loss, weights, allow_unused=True)
        with torch.no_grad():
            for buffer, saved in buffers:
                buffer.copy_(saved)
            grads = [torch.zeros_like(w) if g is None else g.float() for w, g in zip(weights, grads)]
            if dist.is_available() and dist.is_initialized() and get_world_size() > 1:
                for grad in grads:
                    dist.all_reduce(grad)
                    grad /= get_world_size()
            for weight, grad in zip(weights, grads):
                norm = grad.norm()
                if not torch.isfinite(norm) or norm == 0:
                    continue
                v = (self.gamma * weight.float().norm() / norm * grad).to(weight.dtype)
                weight.add_(v)
                self.applied.append((weight, v))

    def restore(self) -> None:
        """Take the perturbation away again."""
        with torch.no_grad():
            for weight, v in self.applied:
                weight.sub_(v)
        self.applied = []

    def after_train_iter(self, runner, batch_idx: int, data_batch: Optional[dict] = None,
                         outputs: Optional[dict] = None) -> None:
        self.restore()

    def after_train(self, runner) -> None:
        self.restore()
        self._model(runner).weight_perturbation = None
