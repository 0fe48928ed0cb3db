"""Adversarial attacks in pixel space, shared by adversarial training and evaluation.

An attack is a registered :class:`BaseAttack`: ``attack(logits_fn, images, labels)`` returns adversarial
images in [0, 1], ``attack.run(...)`` also their logits, ``attack.threat_model()`` describes it. Attacks
that keep a "best" point take ``keep`` (:mod:`~mmpart.attacks.selection`): ``'misclassified'`` to
evaluate, ``'loss'`` to train. :class:`MultiAttack` takes the per-sample worst case over several attacks.
"""
from .apgd import APGD
from .autoattack import AutoAttack
from .base import AttackResult, BaseAttack, from_pixel_space, normalisation, pixel_space_logits, to_pixel_space
from .cli import ATTACK_NAMES, attack_config, attack_names
from .cw import CW
from .free_perturbation import FreePerturbation
from .losses import ATTACK_LOSSES
from .multi_attack import MultiAttack
from .pgd import FGSM, PGD
from .progress import attack_progress, report_progress
from .selection import EVALUATION_KEEP, KEEP_RULES, TRAINING_KEEP, with_default_keep
from .square import Square
from .threat_model import STANDARD_EPS, describe_threat_model

__all__ = ['APGD', 'ATTACK_LOSSES', 'ATTACK_NAMES', 'AttackResult', 'AutoAttack', 'BaseAttack', 'CW',
           'EVALUATION_KEEP', 'FGSM', 'FreePerturbation', 'KEEP_RULES', 'MultiAttack', 'PGD', 'STANDARD_EPS',
           'Square', 'TRAINING_KEEP', 'attack_config', 'attack_names', 'attack_progress', 'describe_threat_model',
           'from_pixel_space', 'normalisation', 'pixel_space_logits', 'report_progress', 'to_pixel_space',
           'with_default_keep']
