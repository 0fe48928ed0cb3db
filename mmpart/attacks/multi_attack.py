"""Per-sample worst case over several attacks, with each attack's own number (AutoAttack's protocol)."""
import time
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import torch

from mmpart.registry import ATTACKS

from .base import AttackResult, BaseAttack, LogitsFn
from .progress import report_progress
from .selection import EVALUATION_KEEP, with_default_keep
from .threat_model import threat_model

AttackLike = Union[dict, BaseAttack]


def build_members(attacks: Sequence[AttackLike], names: Optional[Sequence[str]]) -> List[Tuple[str, BaseAttack]]:
    """``(name, attack)`` pairs; configs get the evaluation rule ``keep='misclassified'`` unless they set
    ``keep``, names default to the lower-cased type, and attacks that are ensembles themselves
    (``components()``, e.g. AutoAttack) are replaced by their members."""
    if names is not None and len(names) != len(attacks):
        raise ValueError(f'{len(names)} names for {len(attacks)} attacks')
    members = []
    for i, attack in enumerate(attacks):
        if isinstance(attack, dict):
            attack = ATTACKS.build(with_default_keep(attack, EVALUATION_KEEP))
        components = attack.components() if hasattr(attack, 'components') else None
        if components is not None and len(components) > 1:
            members += components
        else:
            members.append((names[i] if names is not None else type(attack).__name__.lower(), attack))
    seen = [name for name, _ in members]
    duplicates = sorted({name for name in seen if seen.count(name) > 1})
    if duplicates:
        raise ValueError(f'attacks named {duplicates} more than once: give each a name (names=[...])')
    return members


@ATTACKS.register_module()
class MultiAttack(BaseAttack):
    """Runs several attacks and keeps, per sample, the worst case: a sample is robust only if it is classified
    correctly clean and under every attack.

    Samples misclassified clean are not attacked (the clean point is in every threat model). Then, in turn:

    * ``individual=False`` (cascade, the cheap default; AutoAttack's standard run): each attack runs on the samples
      still robust after the previous ones; ``run`` reports for each attack the worst case **after** it
      (cumulative, so the last equals the final number);
    * ``individual=True`` (AutoAttack's "individual" evaluation): each attack runs on every sample classified
      correctly clean; ``run`` reports each attack's **own** number, and the worst case combines them.

    The returned point of a broken sample is that of the first attack that broke it; of a robust sample, that of
    the last attack. :meth:`run` returns the logits of every attack's outcome in ``per_attack``, which the
    adversarial loops turn into ``accuracy/robust_top1_after_<name>`` (cascade) or ``..._by_<name>`` (individual).

    Args:
        attacks: attack configs or objects, all of one threat model (norm and ε); an ensemble with
            ``components()`` (AutoAttack) is split into its attacks.
        names: one name per attack (default: the lower-cased type; ``tools/test.py --attack pgd,cw`` uses the
            command-line names).
        individual: see above.
    """

    def __init__(self, attacks: Sequence[AttackLike], names: Optional[Sequence[str]] = None,
                 individual: bool = False) -> None:
        if not attacks:
            raise ValueError('MultiAttack needs at least one attack')
        self.members = build_members(attacks, names)
        self.individual = individual
        models = [attack.threat_model() for _, attack in self.members]
        balls = {(m['norm'], round(m['eps_01'], 10)) for m in models}
        if len(balls) > 1:
            raise ValueError('a worst case is over one threat model, but the attacks use ' +
                             ', '.join(f'{name}: {m["norm"]} eps_01={m["eps_01"]:g}'
                                       for (name, _), m in zip(self.members, models)))
        self.norm, self.eps = models[0]['norm'], models[0]['eps']

    @property
    def keep(self) -> str:
        """The selection rule of the members: ``'misclassified'`` unless one of them uses another."""
        rules = [getattr(attack, 'keep', EVALUATION_KEEP) for _, attack in self.members]
        return next((rule for rule in rules if rule != EVALUATION_KEEP), EVALUATION_KEEP)

    @property
    def mode(self) -> str:
        """``'by'`` (each attack's own number) or ``'after'`` (worst case after each attack)."""
        return 'by' if self.individual else 'after'

    @property
    def eot_iter(self) -> int:
        """The smallest number of forward passes per gradient among the members (1 if any has no EoT)."""
        return min(getattr(attack, 'eot_iter', 1) for _, attack in self.members)

    def components(self) -> List[Tuple[str, BaseAttack]]:
        return list(self.members)

    def threat_model(self) -> Dict[str, Any]:
        members = {name: attack.threat_model() for name, attack in self.members}
        return threat_model(type(self).__name__, self.norm, self.eps, individual=self.individual,
                            attacks=members, keep=self.keep)

    def __call__(self, logits_fn: LogitsFn, images: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        return self.run(logits_fn, images, labels).images

    def run(self, logits_fn: LogitsFn, images: torch.Tensor, labels: torch.Tensor) -> AttackResult:
        images = images.detach()
        with torch.no_grad():
            clean_logits = logits_fn(images).float()
        correct = clean_logits.argmax(dim=1) == labels
        robust = correct.clone()
        worst_images, worst_logits = images.clone(), clean_logits.clone()
        per_attack = {}
        for number, (name, attack) in enumerate(self.members, 1):
            index = (correct if self.individual else robust).nonzero()[:, 0]
            own = clean_logits.clone() if self.individual else None
            if len(index):
                report_progress(f'attack {number}/{len(self.members)} {name}: {len(index)} of {len(labels)} samples')
                start = time.perf_counter()
                result = attack.run(logits_fn, images[index], labels[index])
                logits = result.logits.float()
                broken = logits.argmax(dim=1) != labels[index]
                report_progress(f'attack {number}/{len(self.members)} {name}: broke {int(broken.sum())} of '
                                f'{len(index)} in {time.perf_counter() - start:.1f} s')
                if own is not None:
                    own[index] = logits
                # the worst case takes this attack's point where it breaks a sample first, or where none has
                update = robust[index]
                rows = index[update]
                worst_images[rows] = result.images[update].to(worst_images.dtype)
                worst_logits[rows] = logits[update]
                robust[index[broken]] = False
            per_attack[name] = own if own is not None else worst_logits.clone()
        return AttackResult(worst_images, worst_logits, per_attack)
