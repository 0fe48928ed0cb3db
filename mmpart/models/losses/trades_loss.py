"""TRADES' robustness term (Zhang et al. 2019)."""
import torch
import torch.nn as nn
import torch.nn.functional as F

from mmpart.registry import MODELS


@MODELS.register_module()
class TRADESLoss(nn.Module):
    """``beta · KL(softmax(clean) ‖ softmax(adversarial))``, summed over classes and averaged over the batch, as the
    reference code's ``KLDivLoss(size_average=False) / batch_size``; gradients flow into both logits.

    Given to an adversarially trained classifier as ``robust_loss``
    (:class:`~mmpart.models.classifiers.adversarial.AdversarialTrainMixin`), it turns PGD-AT into TRADES: the
    classification loss on the clean batch plus this term, with an attack that maximises the same KL
    (:attr:`attack_defaults`: PGD's ``loss='kl'``, keeping the last iterate, as the reference).

    Args:
        beta: weight of the KL term (1/λ in the paper's notation). 6 is the official code's CIFAR-10 setting
            (``train_trades_cifar10.py``; its MNIST script uses 1); the code has no ImageNet recipe, so β = 6 on
            IN-1K is a choice, not a reference setting.
    """

    #: what the attack of TRADES maximises and which iterate it returns, unless its config says otherwise
    attack_defaults = dict(loss='kl', keep='last')

    def __init__(self, beta: float = 6.0) -> None:
        super().__init__()
        if beta < 0:
            raise ValueError(f'beta must be >= 0, got {beta}')
        self.beta = beta

    def forward(self, clean_logits: torch.Tensor, adversarial_logits: torch.Tensor) -> torch.Tensor:
        return self.beta * F.kl_div(F.log_softmax(adversarial_logits.float(), dim=1),
                                    F.softmax(clean_logits.float(), dim=1), reduction='batchmean')
