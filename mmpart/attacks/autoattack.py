"""AutoAttack (Croce & Hein 2020) through the maintained reference code (``pyautoattack``)."""
from typing import Any, Dict, List, Optional, Sequence, Tuple

import torch
from mmengine.logging import print_log
from pyautoattack import AutoAttack as _AutoAttack

from mmpart.registry import ATTACKS

from .autoattack_utils import AA_NORMS, aa_eps, check_num_classes, preserved_rng
from .base import AttackResult, BaseAttack, LogitsFn
from .multi_attack import MultiAttack
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

    :meth:`run` gives each attack's number too, as :class:`~mmpart.attacks.MultiAttack` does: the worst case
    after each attack of the cascade (``individual=False``, the standard run, each attack on the samples the
    previous ones left; the same points as ``run_standard_evaluation``), or each attack run on every sample
    classified correctly clean (``individual=True``, ``run_standard_evaluation_individual``).

    Args:
        eps: radius; L∞ in /255 units (standard: 4 = 4/255), L2 and L1 in [0, 1] pixel units; default per
            norm (:data:`~mmpart.attacks.threat_model.STANDARD_EPS`: 4/255, 2.0, 75).
        norm: ``'linf'``, ``'l2'`` or ``'l1'``.
        version: ``'standard'``, ``'plus'``, ``'rand'`` or ``'custom'`` (then give ``attacks``).
        attacks: attacks to run for ``version='custom'``, e.g. ``['apgd-ce', 'square']``.
        seed: seed of the random starts (the caller's RNG state is preserved).
        individual: run each attack on every sample (see above) instead of the cascade.
        subset: run only these of the version's attacks, with the version's settings (e.g. ``['square']``
            for standard's Square alone); how the per-attack breakdown runs one attack at a time.
    """

    def __init__(self, eps: Optional[float] = None, norm: str = 'linf', version: str = 'standard',
                 attacks: Optional[List[str]] = None, seed: int = 0, individual: bool = False,
                 subset: Optional[Sequence[str]] = None) -> None:
        self.eps = resolve_eps(eps, norm)
        self.eps_px = aa_eps(self.eps, norm)
        self.norm, self.version, self.attacks, self.seed = norm, version, attacks, seed
        self.individual = individual
        self.subset: Optional[List[str]] = None
        if subset is not None:
            unknown = sorted(set(subset) - set(self.build(lambda x: x, torch.device('cpu')).attacks_to_run))
            if unknown:
                raise ValueError(f'subset {unknown} is not among the attacks of AutoAttack ({version})')
            self.subset = list(subset)
        self.used_target_classes: Optional[Dict[str, int]] = None

    @property
    def black_box(self) -> bool:
        """Whether the run is Square alone (the only black-box attack of AutoAttack)."""
        return self.build(lambda x: x, torch.device('cpu')).attacks_to_run == ['square']

    @property
    def eot_iter(self) -> int:
        """Forward passes per APGD gradient: 20 in the ``'rand'`` version (for randomised defences), else 1."""
        return self.build(lambda x: x, torch.device('cpu')).apgd.eot_iter

    @property
    def mode(self) -> str:
        """How :meth:`run` reports each attack: ``'by'`` (own number) or ``'after'`` (cascade)."""
        return 'by' if self.individual else 'after'

    def threat_model(self) -> Dict[str, Any]:
        adversary = self.build(lambda x: x, torch.device('cpu'))
        details: Dict[str, Any] = dict(version=self.version, attacks=list(adversary.attacks_to_run))
        if self.individual:
            details['individual'] = True
        if {'apgd-ce', 'apgd-dlr'} & set(adversary.attacks_to_run):
            details.update(steps=adversary.apgd.n_iter, restarts=adversary.apgd.n_restarts)
        if {'apgd-t', 'fab-t'} & set(adversary.attacks_to_run):
            details['n_target_classes'] = self.used_target_classes or dict(
                apgd_t=adversary.apgd_targeted.n_target_classes, fab_t=adversary.fab.n_target_classes)
        if 'square' in adversary.attacks_to_run:
            details['square_queries'] = adversary.square.n_queries
        return threat_model(type(self).__name__, self.norm, self.eps, **details, seed=self.seed, keep='misclassified')

    def build(self, logits_fn: LogitsFn, device: torch.device) -> _AutoAttack:
        """The configured ``pyautoattack.AutoAttack`` object (restricted to ``subset`` if given)."""
        adversary = _AutoAttack(logits_fn, norm=AA_NORMS[self.norm], eps=self.eps_px, version=self.version,
                                attacks=self.attacks, device=device, seed=self.seed)
        if self.subset is not None:
            adversary.attacks_to_run = [a for a in adversary.attacks_to_run if a in self.subset]
        return adversary

    def components(self) -> List[Tuple[str, 'AutoAttack']]:
        """One AutoAttack per attack of the run, named as AutoAttack names them (``apgd-ce``, ``square``, ...),
        each with this one's settings."""
        names = self.build(lambda x: x, torch.device('cpu')).attacks_to_run
        components = []
        for name in names:
            component = AutoAttack(self.eps, self.norm, self.version, self.attacks, self.seed, subset=[name])
            component.used_target_classes = self.used_target_classes
            components.append((name, component))
        return components

    def run(self, logits_fn: LogitsFn, images: torch.Tensor, labels: torch.Tensor) -> AttackResult:
        if len(self.build(logits_fn, images.device).attacks_to_run) == 1:
            return super().run(logits_fn, images, labels)
        self._set_target_classes(logits_fn, images)  # checked and said once, before any attack runs
        components = self.components()
        return MultiAttack([attack for _, attack in components], names=[name for name, _ in components],
                           individual=self.individual).run(logits_fn, images, labels)

    def _set_target_classes(self, logits_fn: LogitsFn, images: torch.Tensor) -> _AutoAttack:
        """The adversary for ``images``' device with its target classes fitted to the model's classes; refuses
        attacks the model has too few classes for."""
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
        return adversary

    def __call__(self, logits_fn: LogitsFn, images: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        images = images.detach()
        if len(self.build(logits_fn, images.device).attacks_to_run) > 1:
            return self.run(logits_fn, images, labels).images
        adversary = self._set_target_classes(logits_fn, images)
        with preserved_rng(images.device):
            adv, _ = adversary.run_standard_evaluation(images, labels, batch_size=images.size(0))
        return adv.detach()
