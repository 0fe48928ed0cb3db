"""Input gradients of a per-sample attack loss, safe under fp16 autocast."""
from typing import Callable, Tuple

import torch

LossFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
#: per-sample size of the logit gradient sent back through an fp16 network (GradScaler's headroom idea)
FP16_LOGIT_GRAD_SCALE = 2.0**10
#: a sample whose fp16 input gradient overflowed is sent back again with its scale divided by this, at most
#: :data:`FP16_BACKOFFS` times (GradScaler's backoff, per sample: a network with large Jacobians, e.g. a confident
#: wide classifier, overflows fp16 at 2**10 while the smaller scale keeps its gradient)
FP16_BACKOFF = 2.0**8
FP16_BACKOFFS = 2


def fp16_autocast(device_type: str) -> bool:
    """Whether float16 autocast is active for ``device_type`` (AmpOptimWrapper's default on GPUs)."""
    return torch.is_autocast_enabled(device_type) and torch.get_autocast_dtype(device_type) == torch.float16


def _zeros_if_unused(grad, x: torch.Tensor) -> torch.Tensor:
    """The gradient, or zeros where the graph does not reach ``x`` (a model that detaches its input: its gradient
    is masked, which the evaluation's checks flag, rather than a crash)."""
    return torch.zeros_like(x) if grad is None else grad.detach()


def loss_and_input_gradient(logits_fn: Callable[[torch.Tensor], torch.Tensor], loss_fn: LossFn, x: torch.Tensor,
                            labels: torch.Tensor, eot_iter: int = 1) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Per-sample loss (float32), its gradient w.r.t. ``x`` and the logits, from one forward pass.

    With ``eot_iter`` > 1 (expectation over transformation, for models with test-time randomness) the loss and
    the gradient are averaged over that many forward passes; the logits are those of the last pass (one
    draw of the model's prediction, as AutoAttack's EoT-APGD judges its iterates).

    Only ``x`` gets a gradient (no parameter gradients). Under float16 autocast, small gradients
    underflow to 0 on the way back through the network, and ``sign(0) = 0`` would leave those pixels
    unattacked (a confidently classified sample has a cross-entropy gradient far below fp16's range).
    There, each sample's logit gradient is rescaled to a maximum magnitude of
    :data:`FP16_LOGIT_GRAD_SCALE` before it is propagated, which changes neither the sign nor the
    direction of that sample's input gradient (samples do not interact in eval mode); a sample whose
    gradient comes back non-finite (overflow) is propagated again at a scale :data:`FP16_BACKOFF` times
    smaller, up to :data:`FP16_BACKOFFS` times, and one still non-finite then gets a zero gradient (it does
    not move this step).
    """
    if eot_iter > 1:
        passes = [loss_and_input_gradient(logits_fn, loss_fn, x, labels) for _ in range(eot_iter)]
        return (torch.stack([p[0] for p in passes]).mean(0), torch.stack([p[1] for p in passes]).mean(0),
                passes[-1][2])
    x = x.detach().requires_grad_(True)
    with torch.enable_grad():
        logits = logits_fn(x)
        if not logits.requires_grad:  # the model detached its input
            return loss_fn(logits.detach(), labels).detach(), torch.zeros_like(x), logits.detach()
        if not fp16_autocast(x.device.type):
            loss = loss_fn(logits, labels)
            grad, = torch.autograd.grad(loss.sum(), x, allow_unused=True)
            return loss.detach(), _zeros_if_unused(grad, x), logits.detach()
        logits32 = logits.float()
        loss = loss_fn(logits32, labels)
        logit_grad, = torch.autograd.grad(loss.sum(), logits32)  # stops at logits32: the graph below stays
        peak = logit_grad.flatten(1).abs().amax(dim=1).clamp_min(torch.finfo(torch.float32).tiny)
        per_sample, per_image = (-1, *[1] * (logit_grad.dim() - 1)), (-1, *[1] * (x.dim() - 1))
        unit = logit_grad / peak.view(per_sample)
        grad, scale = torch.zeros_like(x), FP16_LOGIT_GRAD_SCALE
        todo = torch.ones(len(x), dtype=torch.bool, device=x.device)
        for attempt in range(FP16_BACKOFFS + 1):
            sent = unit * (scale * todo.to(unit.dtype).view(per_sample))  # the samples without a gradient yet
            found, = torch.autograd.grad(logits32, x, grad_outputs=sent, allow_unused=True,
                                         retain_graph=attempt < FP16_BACKOFFS)
            found = _zeros_if_unused(found, x)
            finite = todo & torch.isfinite(found.flatten(1)).all(dim=1)
            grad = torch.where(finite.view(per_image), found, grad)
            todo = todo & ~finite
            if not todo.any():
                break
            scale /= FP16_BACKOFF
    return loss.detach(), grad.detach(), logits.detach()
