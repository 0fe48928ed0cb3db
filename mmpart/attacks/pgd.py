"""Projected gradient descent (Madry et al. 2018) and FGSM, L∞ or L2, in pixel space."""
from functools import partial
from typing import Any, Dict, Optional

import torch

from mmpart.registry import ATTACKS

from .base import AttackResult, BaseAttack, LogitsFn
from .gradients import loss_and_input_gradient
from .losses import ATTACK_LOSSES, SOFT_TARGET_LOSSES, cross_entropy
from .selection import IterateSelector, check_keep
from .threat_model import check_norm, eps_unit, resolve_eps, threat_model


def _l2_norm(x: torch.Tensor) -> torch.Tensor:
    """Per-sample L2 norm, shaped to broadcast against ``x``."""
    return x.flatten(1).norm(dim=1).clamp_min(1e-12).view(-1, *[1] * (x.dim() - 1))


#: kinds of random start: uniform in the ε ball, or a small Gaussian around the image (TRADES' code)
START_NOISES = ('uniform', 'gaussian')


@ATTACKS.register_module()
class PGD(BaseAttack):
    """PGD with random start and restarts; per sample it returns the point chosen by ``keep``.

    Only input gradients are computed (``torch.autograd.grad`` w.r.t. the images: no parameter
    gradients, no optimizer state), and every forward pass is used: the loss and logits of iterate *t*
    come from the pass that gives its gradient, so judging the final iterate costs one gradient-free
    forward, whose logits :meth:`run` hands to the caller (evaluation needs no further pass). Under
    ``keep='misclassified'`` samples drop out of the batch as soon as they are misclassified.

    Args:
        eps: radius; L∞ in /255 units (``4`` = 4/255), L2 in [0, 1] pixel units; default per norm
            (:data:`~mmpart.attacks.threat_model.STANDARD_EPS`: 4/255, 2.0).
        steps: gradient steps.
        step_size: step in the units of ``eps``; default ``2.5 * eps / steps``.
        norm: ``'linf'`` or ``'l2'``.
        random_start: start at a random point near the image (``start_noise``); False: at the image.
        keep: ``'misclassified'`` (evaluation), ``'loss'`` (adversarial training), ``'last'`` or ``'batch_loss'``
            (the iterate of highest batch-mean loss, one for the whole batch); see :mod:`mmpart.attacks.selection`.
        restarts: independent runs (``'misclassified'``: only on the samples not broken yet).
        loss: ``'ce'`` (cross entropy), ``'margin'`` (CW margin loss) or ``'kl'`` (KL divergence from soft
            targets given as the labels, TRADES' attack; takes ``keep='loss'`` or ``'last'``).
        eot_iter: forward passes whose gradients are averaged per step (expectation over transformation, for
            models with test-time randomness); 1 for deterministic models.
        label_smoothing: ε of a label-smoothed cross entropy (``loss='ce'`` only): the attack maximises the loss
            against ``(1 - ε) · one-hot + ε / C``, e.g. the training loss of a head with label smoothing (the
            PIN++ reference code's training attack); 0: the plain cross entropy.
        start_noise: ``'uniform'`` (default): the random start is uniform in the L∞ ball (L2: a random point of
            the ball); ``'gaussian'``: ``x + start_std · N(0, 1)``, not clamped to [0, 1] for its forward pass
            (TRADES' code; the point an attack returns is always in [0, 1]).
        start_std: standard deviation of the ``'gaussian'`` start (TRADES: 0.001, in [0, 1] pixel units).
        clamp_in_graph: False (default): every iterate is clamped to [0, 1] before the model sees it (the textbook
            projection). True: the iterate ``x + δ`` is kept unclamped (δ in the ε ball only) and clamped to
            [0, 1] inside the model's input graph, so a pixel pushed past 0 or 1 gets a zero gradient and keeps its
            δ (Wong et al.'s ImageNet fast-AT code, ``in1.clamp_(0, 1)`` on the graph); the point returned is the
            clamped one.
    """

    def __init__(self, eps: Optional[float] = None, steps: int = 10, step_size: Optional[float] = None,
                 norm: str = 'linf', random_start: bool = True, keep: str = 'misclassified',
                 restarts: int = 1, loss: str = 'ce', eot_iter: int = 1, label_smoothing: float = 0.0,
                 start_noise: str = 'uniform', start_std: float = 0.001, clamp_in_graph: bool = False) -> None:
        self.norm = check_norm(norm, ('linf', 'l2'))
        if loss not in ATTACK_LOSSES:
            raise ValueError(f'loss must be one of {sorted(ATTACK_LOSSES)}, got {loss!r}')
        if not 0 <= label_smoothing < 1 or (label_smoothing and loss != 'ce'):
            raise ValueError(f"label_smoothing smooths the cross entropy (loss='ce') and must be in [0, 1), got "
                             f'{label_smoothing} with loss={loss!r}')
        if start_noise not in START_NOISES or start_std < 0:
            raise ValueError(f'start_noise must be one of {START_NOISES} and start_std >= 0, got {start_noise!r}, '
                             f'{start_std}')
        if steps < 1 or restarts < 1 or eot_iter < 1:
            raise ValueError(f'PGD needs steps >= 1, restarts >= 1 and eot_iter >= 1, got steps={steps}, '
                             f'restarts={restarts}, eot_iter={eot_iter}')
        self.keep = check_keep(keep)
        if loss in SOFT_TARGET_LOSSES and keep == 'misclassified':
            raise ValueError(f"loss={loss!r} is computed against soft targets, not labels, so no iterate can be judged "
                             "misclassified: use keep='loss' or 'last'")
        if keep == 'last' and restarts > 1:
            raise ValueError("keep='last' has no rule to choose between restarts: use 'misclassified' or 'loss'")
        self.eps, self.steps = resolve_eps(eps, norm), steps
        self.step_size = 2.5 * self.eps / steps if step_size is None else step_size
        self.random_start, self.restarts = random_start, restarts
        self.loss_name = loss
        self.label_smoothing = label_smoothing
        self.loss_fn = ATTACK_LOSSES[loss] if not label_smoothing else partial(cross_entropy,
                                                                              label_smoothing=label_smoothing)
        self.eot_iter = eot_iter
        self.start_noise, self.start_std, self.clamp_in_graph = start_noise, start_std, clamp_in_graph

    def threat_model(self) -> Dict[str, Any]:
        # settings other than the defaults only, so that a default PGD is described as before they existed
        extra = {key: value for key, value, default in (
            ('eot_iter', self.eot_iter, 1), ('label_smoothing', self.label_smoothing, 0.0),
            ('start_noise', self.start_noise if self.random_start else 'uniform', 'uniform'),
            ('clamp_in_graph', self.clamp_in_graph, False)) if value != default}
        if extra.get('start_noise') == 'gaussian':
            extra['start_std'] = self.start_std
        return threat_model(type(self).__name__, self.norm, self.eps, steps=self.steps, step_size=self.step_size,
                            restarts=self.restarts, random_start=self.random_start, loss=self.loss_name,
                            keep=self.keep, **extra)

    def _start(self, images: torch.Tensor) -> torch.Tensor:
        eps = self.eps * eps_unit(self.norm)
        if not self.random_start:
            return images.clone()
        if self.start_noise == 'gaussian':
            return images + self.start_std * torch.randn_like(images)
        if self.norm == 'linf':
            delta = torch.empty_like(images).uniform_(-eps, eps)
        else:
            direction = torch.randn_like(images)
            radius = torch.rand(images.size(0), device=images.device).view(-1, *[1] * (images.dim() - 1))
            delta = direction / _l2_norm(direction) * radius * eps
        return images + delta if self.clamp_in_graph else (images + delta).clamp(0, 1)

    def _step(self, images: torch.Tensor, x: torch.Tensor, grad: torch.Tensor) -> torch.Tensor:
        eps, alpha = self.eps * eps_unit(self.norm), self.step_size * eps_unit(self.norm)
        if self.norm == 'linf':
            x = x + alpha * grad.sign()
            x = torch.clamp(x, images - eps, images + eps)
        else:
            delta = x + alpha * grad / _l2_norm(grad) - images
            x = images + delta * (eps / _l2_norm(delta)).clamp(max=1.0)
        return x if self.clamp_in_graph else x.clamp(0, 1)

    def _attack(self, logits_fn: LogitsFn, images: torch.Tensor, labels: torch.Tensor,
                final_logits: bool) -> IterateSelector:
        images = images.detach()
        if self.clamp_in_graph:  # the model sees the clamped iterate, the gradient flows through the clamp
            logits_fn = partial(_clamped_logits, logits_fn)
        selector = IterateSelector(images, self.keep)
        everyone = torch.arange(images.size(0), device=images.device)
        for _ in range(self.restarts):
            index = everyone[~selector.broken]
            clean, y = (images, labels) if len(index) == len(everyone) else (images[index], labels[index])
            x = self._start(clean)
            for step in range(self.steps + 1):
                if step < self.steps:
                    loss, grad, logits = loss_and_input_gradient(logits_fn, self.loss_fn, x, y, self.eot_iter)
                elif self.keep == 'last' and not final_logits:
                    selector.images = x.clamp(0, 1)  # nothing to judge: the textbook PGD return, no forward pass
                    return selector
                else:
                    with torch.no_grad():
                        logits = logits_fn(x)
                        loss = self.loss_fn(logits, y)
                if self.keep != 'last' or step == self.steps:
                    broken = selector.update(index, x.clamp(0, 1), loss, logits, y)
                    if broken is not None and broken.any():
                        alive = ~broken
                        index, clean, y, x = index[alive], clean[alive], y[alive], x[alive]
                        if step < self.steps:
                            grad = grad[alive]
                        if not len(index):
                            break
                if step < self.steps:
                    x = self._step(clean, x, grad)
            if not (~selector.broken).any():
                break
        return selector

    def __call__(self, logits_fn: LogitsFn, images: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        return self._attack(logits_fn, images, labels, final_logits=False).images.detach()

    def run(self, logits_fn: LogitsFn, images: torch.Tensor, labels: torch.Tensor) -> AttackResult:
        selector = self._attack(logits_fn, images, labels, final_logits=True)
        return AttackResult(selector.images.detach(), selector.logits)


def _clamped_logits(logits_fn: LogitsFn, x: torch.Tensor) -> torch.Tensor:
    """The logits of ``x`` clamped to [0, 1], differentiable in ``x`` (zero gradient where it clamps)."""
    return logits_fn(x.clamp(0, 1))


@ATTACKS.register_module()
class FGSM(PGD):
    """Fast gradient sign method (Goodfellow et al. 2015): one step of size ε from the clean image.

    Args:
        eps, norm, loss, keep: as :class:`PGD` (``keep='last'``: always the stepped image).
    """

    def __init__(self, eps: Optional[float] = None, norm: str = 'linf', loss: str = 'ce',
                 keep: str = 'misclassified') -> None:
        eps = resolve_eps(eps, norm)
        super().__init__(eps=eps, steps=1, step_size=eps, norm=norm, random_start=False, keep=keep, loss=loss)
