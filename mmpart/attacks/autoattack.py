"""AutoAttack (Croce & Hein 2020) through the maintained reference code (``pyautoattack``)."""
from typing import Any, Dict, List, Optional

import torch
from mmengine.logging import print_log
from pyautoattack import AutoAttack as _AutoAttack

from mmpart.registry import ATTACKS

from .autoattack_utils import AA_NORMS, aa_eps, check_num_classes, preserved_rng
from .base import BaseAttack, LogitsFn
from .threat_model import resolve_eps, threat_model


@ATTACKS.register_module()
class AutoAttack(BaseAttack):
    """The AutoAttack ensemble; ``version='standard'`` is the RobustBench protocol.

    Standard runs APGD-CE (100 iterations, 1 restart), APGD-T (9 target classes), FAB-T (9 target
    classes) and Square (5,000 queries), each on the samples that survived the previous ones, so a
    sample counts as broken if any attack breaks it (``tests/test_attacks/test_autoattack.py`` checks
    these settings). On a model with fewer than 10 classes the targeted attacks use ``C - 1`` target
    classes (logged, and reported by :meth:`threat_model`); APGD-T's targeted DLR loss needs at least 4
    classes, and a model with fewer is refused with a message saying what to run instead.

    Args:
        eps: radius; L∞ in /255 units (standard: 4 = 4/255), L2 and L1 in [0, 1] pixel units; default per
            norm (:data:`~mmpart.attacks.threat_model.STANDARD_EPS`: 4/255, 2.0, 75).
        norm: ``'linf'``, ``'l2'`` or ``'l1'``.
        version: ``'standard'``, ``'plus'``, ``'rand'`` or ``'custom'`` (then give ``attacks``).
        attacks: attacks to run for ``version='custom'``, e.g. ``['apgd-ce', 'square']``.
        seed: seed of the random starts (the caller's RNG state is preserved).
    """

    def __init__(self, eps: Optional[float] = None, norm: str = 'linf', version: str = 'standard',
                 attacks: Optional[List[str]] = None, seed: int = 0) -> None:
        self.eps = resolve_eps(eps, norm)
        self.eps_px = aa_eps(self.eps, norm)
        self.norm, self.version, self.attacks, self.seed = norm, version, attacks, seed
        self.used_target_classes: Optional[Dict[str, int]] = None

    def threat_model(self) -> Dict[str, Any]:
        adversary = self.build(lambda x: x, torch.device('cpu'))
        details: Dict[str, Any] = dict(version=self.version, attacks=list(adversary.attacks_to_run))
        if {'apgd-ce', 'apgd-dlr'} & set(adversary.attacks_to_run):
            details.update(steps=adversary.apgd.n_iter, restarts=adversary.apgd.n_restarts)
        if {'apgd-t', 'fab-t'} & set(adversary.attacks_to_run):
            details['n_target_classes'] = self.used_target_classes or dict(
                apgd_t=adversary.apgd_targeted.n_target_classes, fab_t=adversary.fab.n_target_classes)
        if 'square' in adversary.attacks_to_run:
            details['square_queries'] = adversary.square.n_queries
        return threat_model(type(self).__name__, self.norm, self.eps, **details, seed=self.seed, keep='misclassified')

    def build(self, logits_fn: LogitsFn, device: torch.device) -> _AutoAttack:
        """The configured ``pyautoattack.AutoAttack`` object."""
        return _AutoAttack(logits_fn, norm=AA_NORMS[self.norm], eps=self.eps_px, version=self.version,
                           attacks=self.attacks, device=device, seed=self.seed)

    def __call__(self, logits_fn: LogitsFn, images: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        images = images.detach()
        with torch.no_grad():
            num_classes = logits_fn(images[:1]).size(1)
        adversary = self.build(logits_fn, images.device)
        targeted = dict(apgd_t=adversary.apgd_targeted, fab_t=adversary.fab)
        wanted = {name: attack.n_target_classes for name, attack in targeted.items()}
        who = f'AutoAttack ({self.version})'
        check_num_classes(num_classes, adversary.attacks_to_run, who)
        used = {name: min(n, num_classes - 1) for name, n in wanted.items()}
        for name, attack in targeted.items():
            attack.n_target_classes = used[name]
        if used != wanted and used != self.used_target_classes:
            print_log(f'{who}: the model has {num_classes} classes, so the targeted attacks use {used} target '
                      f'classes instead of {wanted}', logger='current')
        self.used_target_classes = used
        with preserved_rng(images.device):
            adv, _ = adversary.run_standard_evaluation(images, labels, batch_size=images.size(0))
        return adv.detach()
