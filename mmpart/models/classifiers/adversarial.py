"""Adversarial training step for mmpretrain classifiers (PGD-AT, Madry et al. 2018)."""
from typing import List, Optional, Union

import torch
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


class AdversarialTrainMixin:
    """Makes a classifier's ``loss`` mode train on adversarial inputs only.

    In ``forward(mode='loss')`` the attack maximises the *classification* loss with every module in
    eval mode (BN statistics are read, never updated), through ``mode='tensor'``: for MPM that is the
    classification path alone, no bypass layer. The attack asks for input gradients only (no
    parameter gradients, no optimizer state). Training modes are then restored exactly and the
    usual loss (MPM: classification + part loss) runs once on the adversarial batch.

    Living in the model's forward, the step needs no special wrapper: under DDP the wrapper calls
    ``module.forward``, so the attack runs on the unwrapped module inside the same
    ``optim_context`` (autocast with ``AmpOptimWrapper``) as the training forward, and the DDP
    reducer only sees the training backward. Inputs are attacked in pixel space [0, 1] through the
    data preprocessor's mean/std (see :mod:`mmpart.attacks`).

    Under fp16 autocast the attack's input gradient is rescaled per sample so that it does not
    underflow (see :func:`mmpart.attacks.gradients.loss_and_input_gradient`).

    Args:
        attack: a registered attack (``ATTACKS``), e.g. ``dict(type='PGD', eps=4, steps=2,
            step_size=4)``; a config without ``keep`` keeps the highest-loss iterate (``keep='loss'``);
            None trains on clean inputs.
    """

    def __init__(self, *args, attack: Optional[Union[dict, BaseAttack]] = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.attack = ATTACKS.build(with_default_keep(attack, TRAINING_KEEP)) if isinstance(attack, dict) else attack

    def forward(self, inputs: torch.Tensor, data_samples: Optional[List[DataSample]] = None,
                mode: str = 'tensor'):
        """As the classifier's ``forward``; in ``'loss'`` mode on adversarial inputs if there is an attack."""
        if mode == 'loss' and self.attack is not None:
            inputs = self.adversarial_inputs(inputs, data_samples)
        return super().forward(inputs, data_samples, mode)

    def adversarial_inputs(self, inputs: torch.Tensor, data_samples: List[DataSample]) -> torch.Tensor:
        """Attack a preprocessed (normalised) batch; returns the adversarial batch, normalised."""
        labels = torch.cat([sample.gt_label for sample in data_samples]).to(inputs.device)
        modes = [(module, module.training) for module in self.modules()]
        self.eval()
        try:
            adversarial = self.attack(pixel_space_logits(self), to_pixel_space(self, inputs), labels)
        finally:
            for module, training in modes:
                module.training = training
        return from_pixel_space(self, adversarial)


@MODELS.register_module()
class AdvImageClassifier(AdversarialTrainMixin, ImageClassifier):
    """mmpretrain's ``ImageClassifier`` with an optional ``attack`` for adversarial training.

    Same parameters and state-dict keys as ``ImageClassifier`` (the attack holds no weights).
    """
