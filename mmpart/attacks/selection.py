"""Which point an iterative attack returns per sample: the rule (``keep``) and its bookkeeping.

* ``'misclassified'`` (evaluation, RobustBench / AutoAttack semantics): the first iterate, over all steps
  and restarts, that the model misclassifies (top-1); the highest-loss iterate where there is none. A
  sample is counted broken as soon as any iterate or restart breaks it, and is not attacked further.
* ``'loss'`` (adversarial training, DESIGN §4): the iterate of highest loss. With cross entropy a
  higher-loss point can still be classified correctly while an earlier one was not, so this rule
  overstates robust accuracy and must not be used to evaluate.
* ``'last'``: the final iterate (one restart only), as the textbook PGD / FGSM.
* ``'batch_loss'``: one iterate for the whole batch, the one of highest batch-mean loss (on a tie the earlier), as
  the PIN++ reference code's training attack (``adv_utils.replace_best`` on the batch-mean loss); a training rule.
"""
import inspect
from typing import Optional

import torch

from mmpart.registry import ATTACKS

KEEP_RULES = ('misclassified', 'loss', 'last', 'batch_loss')
#: the rule evaluation uses, and the one adversarial training uses
EVALUATION_KEEP, TRAINING_KEEP = 'misclassified', 'loss'


def check_keep(keep: str) -> str:
    """``keep`` if it is a known rule, else a ValueError naming the rules."""
    if keep not in KEEP_RULES:
        raise ValueError(f'keep must be one of {list(KEEP_RULES)}, got {keep!r}')
    return keep


def with_default_keep(attack: dict, keep: str) -> dict:
    """A copy of the attack config with ``keep`` set, unless the config sets it or the attack takes no ``keep``."""
    attack = dict(attack)
    if 'keep' not in attack and 'keep' in inspect.signature(ATTACKS.get(attack['type']).__init__).parameters:
        attack['keep'] = keep
    return attack


class IterateSelector:
    """Per sample, the point an attack returns (and its loss and logits), fed with every evaluated iterate.

    Args:
        images: the clean batch; a sample that is never updated is returned clean.
        keep: one of :data:`KEEP_RULES`.
    """

    def __init__(self, images: torch.Tensor, keep: str) -> None:
        self.keep = check_keep(keep)
        self.images = images.clone()
        n = images.size(0)
        self.loss = torch.full((n, ), float('-inf'), device=images.device)
        self.seen = torch.zeros(n, dtype=torch.bool, device=images.device)
        self.broken = torch.zeros(n, dtype=torch.bool, device=images.device)
        self.logits: Optional[torch.Tensor] = None

    def update(self, index: torch.Tensor, x: torch.Tensor, loss: torch.Tensor, logits: torch.Tensor,
               labels: torch.Tensor) -> Optional[torch.Tensor]:
        """Offer iterates ``x`` of the samples ``index``; returns which of them are now broken (misclassified,
        to be dropped from the attack) under ``'misclassified'``, else None."""
        if self.logits is None:
            self.logits = logits.new_zeros(self.images.size(0), logits.size(1))
        if self.keep == 'last':
            take = torch.ones_like(loss, dtype=torch.bool)
        elif self.keep == 'batch_loss':  # every sample is offered together: the batch's means compare
            higher = not self.seen[index].all() or bool(loss.mean() > self.loss[index].mean())
            take = torch.full_like(loss, higher, dtype=torch.bool)
        else:
            take = ~self.seen[index] | (loss > self.loss[index])
        broken = None
        if self.keep == 'misclassified':
            broken = logits.argmax(dim=1) != labels
            take = take | broken
            self.broken[index[broken]] = True
        rows = index[take]
        self.images[rows] = x[take].to(self.images.dtype)
        self.loss[rows] = loss[take]
        self.logits[rows] = logits[take].to(self.logits.dtype)
        self.seen[rows] = True
        return broken
