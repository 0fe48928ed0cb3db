"""APGD (Croce & Hein 2020) from the AutoAttack reference code, as a registered pixel-space attack."""
from typing import Any, Dict, Optional

import torch
from mmengine.logging import print_log
from pyautoattack.autopgd_base import APGDAttack, APGDAttack_targeted

from mmpart.registry import ATTACKS

from .autoattack_utils import AA_NORMS, aa_eps, check_num_classes, preserved_rng
from .base import BaseAttack, LogitsFn
from .selection import check_keep
from .threat_model import resolve_eps, threat_model

APGD_LOSSES = ('ce', 'dlr', 'dlr-targeted')
# our loss names -> AutoAttack's attack names
AA_ATTACKS = {'ce': 'apgd-ce', 'dlr': 'apgd-dlr', 'dlr-targeted': 'apgd-t'}


@ATTACKS.register_module()
class APGD(BaseAttack):
    """Auto-PGD: step-size-free PGD with momentum, run by ``pyautoattack``'s ``APGDAttack``.

    With ``keep='misclassified'`` (the reference code's default) only samples still classified
    correctly are attacked further, and a sample comes back as a misclassified iterate if any restart
    found one, else unchanged; ``keep='loss'`` returns the highest-loss iterate of every sample
    (``perturb(best_loss=True)``, untargeted losses only).

    Args:
        eps: radius; L∞ in /255 units (``4`` = 4/255), L2 and L1 in [0, 1] pixel units; default per norm
            (:data:`~mmpart.attacks.threat_model.STANDARD_EPS`: 4/255, 2.0, 75).
        steps: iterations per restart (AutoAttack standard: 100).
        norm: ``'linf'``, ``'l2'`` or ``'l1'``.
        restarts: random restarts (per target class for ``'dlr-targeted'``).
        loss: ``'ce'`` (APGD-CE), ``'dlr'`` (APGD-DLR) or ``'dlr-targeted'`` (APGD-T).
        n_target_classes: target classes of APGD-T (the top-2 .. top-(n+1) wrong classes); at most the
            model's number of classes minus one is used.
        rho: step-size decrease threshold of APGD.
        seed: seed of the random starts (the caller's RNG state is preserved).
        keep: ``'misclassified'`` or ``'loss'`` (see :mod:`mmpart.attacks.selection`).
        eot_iter: forward passes whose gradients are averaged per iteration (expectation over transformation,
            for models with test-time randomness; AutoAttack's ``'rand'`` version uses 20).
    """

    def __init__(self, eps: Optional[float] = None, steps: int = 100, norm: str = 'linf', restarts: int = 1,
                 loss: str = 'ce', n_target_classes: int = 9, rho: float = 0.75, seed: int = 0,
                 keep: str = 'misclassified', eot_iter: int = 1) -> None:
        if loss not in APGD_LOSSES:
            raise ValueError(f'loss must be one of {APGD_LOSSES}, got {loss!r}')
        if steps < 1 or restarts < 1 or n_target_classes < 1 or eot_iter < 1:
            raise ValueError('APGD needs steps >= 1, restarts >= 1, n_target_classes >= 1 and eot_iter >= 1')
        if check_keep(keep) not in ('misclassified', 'loss') or (keep == 'loss' and loss == 'dlr-targeted'):
            raise ValueError(f"APGD with loss={loss!r} takes keep='misclassified'" +
                             ("" if loss == 'dlr-targeted' else " or 'loss'") + f', got {keep!r}')
        self.eps = resolve_eps(eps, norm)
        self.eps_px = aa_eps(self.eps, norm)
        self.steps, self.norm, self.restarts = steps, norm, restarts
        self.loss, self.n_target_classes, self.rho, self.seed, self.keep = loss, n_target_classes, rho, seed, keep
        self.eot_iter = eot_iter
        self.used_target_classes: Optional[int] = None

    def threat_model(self) -> Dict[str, Any]:
        details: Dict[str, Any] = dict(steps=self.steps, restarts=self.restarts, loss=self.loss)
        if self.loss == 'dlr-targeted':
            details['n_target_classes'] = self.used_target_classes or self.n_target_classes
        if self.eot_iter > 1:
            details['eot_iter'] = self.eot_iter
        return threat_model(type(self).__name__, self.norm, self.eps, **details, rho=self.rho, seed=self.seed,
                            keep=self.keep)

    def build(self, logits_fn: LogitsFn, device: torch.device, num_classes: Optional[int] = None) -> APGDAttack:
        """The configured ``pyautoattack`` attack object (for a ``num_classes``-way model if given)."""
        common = dict(n_iter=self.steps, norm=AA_NORMS[self.norm], n_restarts=self.restarts, eps=self.eps_px,
                      seed=self.seed, rho=self.rho, device=device, eot_iter=self.eot_iter)
        if self.loss != 'dlr-targeted':
            return APGDAttack(logits_fn, loss=self.loss, **common)
        targets = self.n_target_classes if num_classes is None else min(self.n_target_classes, num_classes - 1)
        return APGDAttack_targeted(logits_fn, n_target_classes=targets, **common)

    def __call__(self, logits_fn: LogitsFn, images: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        images = images.detach()
        with torch.no_grad():
            num_classes = logits_fn(images[:1]).size(1)
        check_num_classes(num_classes, [AA_ATTACKS[self.loss]], type(self).__name__)
        attack = self.build(logits_fn, images.device, num_classes)
        if self.loss == 'dlr-targeted' and attack.n_target_classes != self.used_target_classes:
            if attack.n_target_classes < self.n_target_classes:
                print_log(f'APGD: the model has {num_classes} classes, so APGD-T uses {attack.n_target_classes} '
                          f'target classes instead of {self.n_target_classes}', logger='current')
            self.used_target_classes = attack.n_target_classes
        with preserved_rng(images.device):
            if self.keep == 'loss':  # the reference code seeds only its other branch
                torch.manual_seed(self.seed)
                return attack.perturb(images, labels, best_loss=True).detach()
            return attack.perturb(images, labels).detach()
