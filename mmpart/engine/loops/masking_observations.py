"""What the test loop observes per sample for the gradient-masking checks (:mod:`mmpart.evaluation.masking_checks`)."""
from typing import List

import torch

from mmpart.attacks.base import LogitsFn
from mmpart.attacks.gradients import loss_and_input_gradient
from mmpart.attacks.losses import cross_entropy

#: relative logit difference above which two passes on the same input differ (AutoAttack's ``check_randomized``
#: uses 1e-4 on L2-normalised logits; a relative max difference also sees noise along the logit vector)
VARYING_LOGITS_TOLERANCE = 1e-4


def masking_observations(logits_fn: LogitsFn, images: torch.Tensor, labels: torch.Tensor) -> List[dict]:
    """Per sample, at the clean point: ``zero_gradient`` (the cross-entropy input gradient is all zeros, as
    AutoAttack's ``check_zero_gradients``) and ``varying_logits`` (two forward passes give logits that differ by more
    than :data:`VARYING_LOGITS_TOLERANCE` times the largest logit, as its ``check_randomized``).
    Costs one forward-backward and one forward pass."""
    _, grad, first = loss_and_input_gradient(logits_fn, cross_entropy, images, labels)
    with torch.no_grad():
        second = logits_fn(images)
    zero = grad.flatten(1).abs().sum(dim=1) == 0
    first, second = first.float(), second.float()
    scale = first.abs().amax(dim=1).clamp_min(1e-10)
    varying = (first - second).abs().amax(dim=1) > VARYING_LOGITS_TOLERANCE * scale
    return [dict(zero_gradient=bool(z), varying_logits=bool(v)) for z, v in zip(zero, varying)]
