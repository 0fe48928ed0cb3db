"""Per-sample losses that attacks maximise."""
import torch
import torch.nn.functional as F


def cross_entropy(logits: torch.Tensor, labels: torch.Tensor, label_smoothing: float = 0.0) -> torch.Tensor:
    """Per-sample cross entropy; with ``label_smoothing`` ε against the targets ``(1 - ε) · one-hot + ε / C``."""
    return F.cross_entropy(logits.float(), labels, reduction='none', label_smoothing=label_smoothing)


def margin(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Carlini-Wagner margin: best wrong logit minus the true logit (> 0 means misclassified)."""
    logits = logits.float()
    true = logits.gather(1, labels[:, None])[:, 0]
    wrong = logits.scatter(1, labels[:, None], float('-inf')).amax(dim=1)
    return wrong - true


def kl_divergence(logits: torch.Tensor, target_probs: torch.Tensor) -> torch.Tensor:
    """KL(target ‖ softmax(logits)) per sample, the loss TRADES' attack maximises; ``target_probs`` (N×C) are
    the clean predictions, not labels."""
    if target_probs.dim() != 2:
        raise ValueError(f'the kl loss compares with N x C target probabilities (TRADES: the clean predictions), '
                         f'got labels of shape {tuple(target_probs.shape)}')
    target = target_probs.float()
    return (target * (target.clamp_min(1e-12).log() - F.log_softmax(logits.float(), dim=1))).sum(dim=1)


ATTACK_LOSSES = dict(ce=cross_entropy, margin=margin, kl=kl_divergence)
#: losses whose "labels" are soft targets: an attack on them cannot judge misclassification
SOFT_TARGET_LOSSES = ('kl', )
