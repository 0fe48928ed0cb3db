"""Adversarial training step for mmpretrain classifiers: PGD-AT (Madry et al. 2018), TRADES (Zhang et al. 2019),
and the hook point of weight perturbations such as AWP (Wu et al. 2020)."""
from contextlib import contextmanager
from functools import partial
from typing import Callable, Dict, Iterator, List, Optional, Protocol, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmpretrain.models import ImageClassifier
from mmpretrain.structures import DataSample

from mmpart.attacks import (
    TRAINING_KEEP,
    BaseAttack,
    from_pixel_space,
    pixel_space_logits,
    to_pixel_space,
    with_default_keep,
)
from mmpart.registry import ATTACKS, MODELS

Losses = Dict[str, torch.Tensor]


class WeightPerturbation(Protocol):
    """What :class:`AdversarialTrainMixin` calls between the attack and the training forward (e.g.
    :class:`~mmpart.engine.hooks.AdversarialWeightPerturbationHook`): ``losses_fn()`` computes, at the current
    weights, the losses named by the perturbation's ``loss`` attribute: ``'training'`` (or no such attribute) the
    training losses, ``'plain_ce'`` :meth:`AdversarialTrainMixin.plain_ce_losses`."""

    def perturb(self, model: nn.Module, losses_fn: Callable[[], Losses]) -> None:
        ...


class AdversarialTrainMixin:
    """Makes a classifier's ``loss`` mode train on adversarial inputs.

    In ``forward(mode='loss')`` the attack runs with every module in eval mode (BN statistics are read, never
    updated; ``attack_mode='train'`` leaves the training modes instead), through ``mode='tensor'``: for MPM that is
    the classification path alone, no bypass layer. The attack asks for input gradients only (no parameter
    gradients, no optimizer state). Training modes are then restored exactly and the training losses run:

    * PGD-AT (``robust_loss=None``): the attack maximises the classification loss of the labels, and the usual loss
      (MPM: classification + part loss) runs once on the adversarial batch only;
    * TRADES (``robust_loss=dict(type='TRADESLoss', beta=6)``): the attack maximises the KL divergence from the
      clean prediction (the loss's :attr:`~mmpart.models.losses.TRADESLoss.attack_defaults`: PGD with
      ``loss='kl'``, last iterate, unless the attack config says otherwise); the losses are the classification loss
      on the clean batch (``loss_cls``, the head's own loss: label smoothing etc. apply), ``robust_loss`` between
      the clean and adversarial logits (``loss_robust``), and the model's other losses on the adversarial batch
      (MPM: the part loss, as in PGD-AT; :meth:`logits_and_auxiliary_losses`).

    A ``weight_perturbation`` (set by a hook, e.g. AWP's) is called with the training-loss closure (or that of
    :meth:`plain_ce_losses`, if its ``loss`` is ``'plain_ce'``) after the attack and before the training forward; it
    perturbs the weights that the training forward then uses (and restores them after the optimizer step).

    Living in the model's forward, the step needs no special wrapper: under DDP the wrapper calls
    ``module.forward``, so the attack runs on the unwrapped module inside the same ``optim_context`` (autocast with
    ``AmpOptimWrapper``) as the training forward, and the DDP reducer only sees the training backward. Inputs are
    attacked in pixel space [0, 1] through the data preprocessor's mean/std (see :mod:`mmpart.attacks`).

    Under fp16 autocast the attack's input gradient is rescaled per sample so that it does not
    underflow (see :func:`mmpart.attacks.gradients.loss_and_input_gradient`).

    Args:
        attack: a registered attack (``ATTACKS``), e.g. ``dict(type='PGD', eps=4, steps=2,
            step_size=4)``; a config without ``keep`` keeps the highest-loss iterate (``keep='loss'``; TRADES: the
            last); None trains on clean inputs.
        robust_loss: None for PGD-AT, or a loss of clean and adversarial logits (``MODELS``, e.g. ``TRADESLoss``).
        attack_mode: ``'eval'`` (default): the attack sees the model in eval mode. ``'train'``: in its training
            modes, as Wong et al.'s fast-AT code attacks it: BatchNorm normalises each attack pass with the batch's
            statistics and updates its running statistics once per attack forward pass (then once more in the
            training forward), and the attack's gradient of a sample depends on the batch through them (under fp16
            autocast the per-sample rescaling of :func:`~mmpart.attacks.gradients.loss_and_input_gradient` weighs
            those cross-sample terms unlike the reference's single loss scale; in fp32 the gradient is the same).
    """

    def __init__(self, *args, attack: Optional[Union[dict, BaseAttack]] = None,
                 robust_loss: Optional[Union[dict, nn.Module]] = None, attack_mode: str = 'eval', **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if attack_mode not in ('eval', 'train'):
            raise ValueError(f"attack_mode must be 'eval' or 'train', got {attack_mode!r}")
        self.attack_mode = attack_mode
        self.robust_loss = MODELS.build(robust_loss) if isinstance(robust_loss, dict) else robust_loss
        if self.robust_loss is not None and attack is None:
            raise ValueError(f'robust_loss={type(self.robust_loss).__name__} compares clean and adversarial logits: '
                             'it needs an attack')
        if isinstance(attack, dict):
            attack = {**getattr(self.robust_loss, 'attack_defaults', {}), **attack}
            attack = ATTACKS.build(with_default_keep(attack, TRAINING_KEEP))
        self.attack = attack
        self.weight_perturbation: Optional[WeightPerturbation] = None

    def forward(self, inputs: torch.Tensor, data_samples: Optional[List[DataSample]] = None,
                mode: str = 'tensor'):
        """As the classifier's ``forward``; in ``'loss'`` mode the adversarial training losses (see the class)."""
        if mode == 'loss' and (self.attack is not None or self.weight_perturbation is not None):
            return self.robust_training_losses(inputs, data_samples)
        return super().forward(inputs, data_samples, mode)

    def robust_training_losses(self, inputs: torch.Tensor, data_samples: List[DataSample]) -> Losses:
        """The losses of one training step on a preprocessed (normalised) batch: attack, weight perturbation (if a
        hook set one), training losses."""
        if self.attack is None:
            adversarial = inputs
            losses_fn = partial(self.loss, inputs, data_samples)
        elif self.robust_loss is None:
            adversarial = self.adversarial_inputs(inputs, data_samples)
            losses_fn = partial(self.loss, adversarial, data_samples)
        else:
            adversarial = self._attack(inputs, lambda logits_fn, images: _probabilities(logits_fn, images))
            losses_fn = partial(self.robust_losses, inputs, adversarial, data_samples)
        if self.weight_perturbation is not None:
            plain = getattr(self.weight_perturbation, 'loss', 'training') == 'plain_ce'
            self.weight_perturbation.perturb(
                self, partial(self.plain_ce_losses, inputs, adversarial, data_samples) if plain else losses_fn)
        return losses_fn()

    def plain_ce_losses(self, inputs: torch.Tensor, adversarial: torch.Tensor,
                        data_samples: List[DataSample]) -> Losses:
        """The loss the AWP reference code perturbs the weights along: the plain (unsmoothed) cross entropy of the
        classification logits on the batch the step trains on (PGD-AT: ``adversarial``; ``AT_AWP/utils_awp.py``),
        or with a ``robust_loss`` (TRADES) the cross entropy on the clean batch plus ``robust_loss`` of the clean and
        adversarial logits (``trades_AWP/utils_awp.py``); no auxiliary loss (MPM's part loss)."""
        labels = torch.cat([sample.gt_label for sample in data_samples]).to(inputs.device)
        if self.robust_loss is None:
            return {'loss_cls': F.cross_entropy(self(adversarial, mode='tensor').float(), labels)}
        logits = self(inputs, mode='tensor')
        return {'loss_cls': F.cross_entropy(logits.float(), labels),
                'loss_robust': self.robust_loss(logits, self(adversarial, mode='tensor'))}

    def adversarial_inputs(self, inputs: torch.Tensor, data_samples: List[DataSample]) -> torch.Tensor:
        """Attack a preprocessed (normalised) batch against its labels; returns the adversarial batch, normalised."""
        labels = torch.cat([sample.gt_label for sample in data_samples]).to(inputs.device)
        return self._attack(inputs, lambda logits_fn, images: labels)

    def _attack(self, inputs: torch.Tensor,
                targets_fn: Callable[[Callable, torch.Tensor], torch.Tensor]) -> torch.Tensor:
        """The attack on a normalised batch, in eval mode (or as the model is, ``attack_mode='train'``), against
        ``targets_fn(logits_fn, pixel images)``."""
        with self._eval_mode(self.attack_mode == 'eval'):
            logits_fn, images = pixel_space_logits(self), to_pixel_space(self, inputs)
            adversarial = self.attack(logits_fn, images, targets_fn(logits_fn, images))
        return from_pixel_space(self, adversarial)

    @contextmanager
    def _eval_mode(self, enabled: bool = True) -> Iterator[None]:
        if not enabled:
            yield
            return
        modes = [(module, module.training) for module in self.modules()]
        self.eval()
        try:
            yield
        finally:
            for module, training in modes:
                module.training = training

    def robust_losses(self, inputs: torch.Tensor, adversarial: torch.Tensor, data_samples: List[DataSample]) -> Losses:
        """TRADES-style losses: the head's loss on the clean batch (``loss_cls``), ``robust_loss`` of the clean and
        adversarial logits (``loss_robust``) and the model's auxiliary losses on the adversarial batch."""
        feats = self.extract_feat(inputs)
        losses = class_losses(self.head.loss(feats, data_samples))
        adversarial_logits, auxiliary = self.logits_and_auxiliary_losses(adversarial, data_samples)
        losses['loss_robust'] = self.robust_loss(self.head(feats), adversarial_logits)
        losses.update(auxiliary)
        return losses

    def logits_and_auxiliary_losses(self, inputs: torch.Tensor,
                                    data_samples: List[DataSample]) -> Tuple[torch.Tensor, Losses]:
        """Classification logits of a batch and the model's training losses other than classification on it (none
        for a plain classifier; MPM: the part loss), from one forward pass."""
        return self.head(self.extract_feat(inputs)), {}


def class_losses(head_losses: Losses) -> Losses:
    """A classification head's losses with its ``loss`` named ``loss_cls`` (beside a part loss); other entries (e.g.
    ``accuracy_top-1`` of ``cal_acc=True``) keep their names."""
    return {('loss_cls' if key == 'loss' else key): value for key, value in head_losses.items()}


def _probabilities(logits_fn: Callable[[torch.Tensor], torch.Tensor], images: torch.Tensor) -> torch.Tensor:
    """The model's softmax at the clean images: what TRADES' attack moves away from."""
    with torch.no_grad():
        return logits_fn(images).float().softmax(dim=1)


@MODELS.register_module()
class AdvImageClassifier(AdversarialTrainMixin, ImageClassifier):
    """mmpretrain's ``ImageClassifier`` with an optional ``attack`` (and ``robust_loss``) for adversarial training.

    Same parameters and state-dict keys as ``ImageClassifier`` (the attack and the loss hold no weights).
    """
