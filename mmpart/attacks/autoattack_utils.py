"""Shared helpers for the wrappers of the AutoAttack reference code (``pyautoattack``)."""
from contextlib import contextmanager
from typing import Iterator, Sequence

import torch

from .threat_model import check_norm, eps_unit

# our norm names -> AutoAttack's
AA_NORMS = dict(linf='Linf', l2='L2', l1='L1')
#: classes the DLR losses need: untargeted DLR reads the 3rd-highest logit, targeted DLR the 4th
DLR_MIN_CLASSES = {'apgd-dlr': 3, 'apgd-t': 4}


def aa_eps(eps: float, norm: str) -> float:
    """ε in AutoAttack's [0, 1] pixel units from ours (L∞ in /255 units, L2/L1 in [0, 1] units)."""
    return eps * eps_unit(check_norm(norm))


def check_num_classes(num_classes: int, attacks: Sequence[str], who: str) -> None:
    """Refuse, with what to run instead, ``attacks`` (AutoAttack names) whose DLR loss needs more classes
    than the model's ``num_classes`` (the reference code would die with an IndexError)."""
    for attack, needed in DLR_MIN_CLASSES.items():
        if attack in attacks and num_classes < needed:
            raise ValueError(f'{who}: {attack} (DLR loss) needs a model with at least {needed} classes, this one has '
                             f'{num_classes}; use an attack without it (e.g. --attack apgd with loss=ce, or AutoAttack '
                             "version='custom' with attacks=['apgd-ce', 'square'])")


@contextmanager
def preserved_rng(device: torch.device) -> Iterator[None]:
    """Run a block that reseeds torch's global RNG (AutoAttack does) without disturbing the caller's."""
    devices = [device] if device.type == 'cuda' else []
    with torch.random.fork_rng(devices=devices):
        yield
