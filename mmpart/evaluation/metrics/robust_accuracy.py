"""Clean and robust top-k accuracy from one adversarial evaluation run."""
from typing import List, Optional, Sequence, Tuple, Union

import torch
from mmengine.evaluator import BaseMetric

from mmpart.registry import METRICS


def topk_hits(scores: torch.Tensor, label: torch.Tensor, topk: Sequence[int]) -> torch.Tensor:
    """Per-k booleans: is ``label`` among the ``k`` highest of one sample's ``scores``."""
    ranked = scores.topk(max(topk)).indices
    return torch.stack([(ranked[:k] == label).any() for k in topk])


@METRICS.register_module()
class RobustAccuracy(BaseMetric):
    """Top-k accuracy clean and under attack, from the data samples of the adversarial loops.

    Reads ``pred_score`` (clean), ``adv_pred_score`` (under attack, written by
    :class:`~mmpart.engine.loops.AdversarialValLoop` / ``AdversarialTestLoop``) and ``gt_label``.
    A sample counts as robust when it is right both clean and under attack: the zero perturbation
    is in every threat model, so robust accuracy never exceeds clean accuracy. The attacked point is the
    one the attack returns, chosen for top-1 (under ``keep='misclassified'``, the first misclassified
    iterate): ``robust_top{k}`` for k > 1 is measured there, not under an attack on the top-k decision.

    Keys (in %): ``accuracy/top{k}`` (clean, the key of mmpretrain's ``Accuracy``) and
    ``accuracy/robust_top{k}``.
    """

    default_prefix = 'accuracy'

    def __init__(self, topk: Union[int, Tuple[int, ...]] = (1, ), collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.topk = (topk, ) if isinstance(topk, int) else tuple(topk)

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        for sample in data_samples:
            if 'adv_pred_score' not in sample:
                raise KeyError('RobustAccuracy needs adversarial predictions (adv_pred_score): evaluate with '
                               'AdversarialValLoop / AdversarialTestLoop (val_cfg / test_cfg)')
            label = sample['gt_label'].cpu()
            self.results.append(dict(clean=topk_hits(sample['pred_score'].cpu(), label, self.topk),
                                     adv=topk_hits(sample['adv_pred_score'].cpu(), label, self.topk)))

    def compute_metrics(self, results: List[dict]) -> dict:
        clean = torch.stack([r['clean'] for r in results]).float()
        robust = torch.stack([r['clean'] & r['adv'] for r in results]).float()
        metrics = {}
        for i, k in enumerate(self.topk):
            metrics[f'top{k}'] = clean[:, i].mean().item() * 100
            metrics[f'robust_top{k}'] = robust[:, i].mean().item() * 100
        return metrics
