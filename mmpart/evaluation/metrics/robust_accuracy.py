"""Clean and robust top-k accuracy from one adversarial evaluation run, with one record per sample."""
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
from mmengine.evaluator import BaseMetric

from mmpart.registry import METRICS


def topk_hits(scores: torch.Tensor, label: torch.Tensor, topk: Sequence[int]) -> List[bool]:
    """Per-k booleans: is ``label`` among the ``k`` highest of one sample's ``scores``."""
    ranked = scores.topk(max(topk)).indices
    return [bool((ranked[:k] == label).any()) for k in topk]


@METRICS.register_module()
class RobustAccuracy(BaseMetric):
    """Top-k accuracy clean and under attack, from the data samples of the adversarial loops.

    Reads ``pred_score`` (clean), ``adv_pred_score`` (under attack, written by
    :class:`~mmpart.engine.loops.AdversarialValLoop` / ``AdversarialTestLoop``) and ``gt_label``.
    A sample counts as robust when it is right both clean and under attack: the zero perturbation
    is in every threat model, so robust accuracy never exceeds clean accuracy. The attacked point is the
    one the attack returns, chosen for top-1 (under ``keep='misclassified'``, the first misclassified
    iterate): ``robust_top{k}`` for k > 1 is measured there, not under an attack on the top-k decision.

    Under several attacks (:class:`~mmpart.attacks.MultiAttack`, AutoAttack) the loops also write
    ``adv_attack_scores`` (one score vector per attack) and ``adv_attack_mode``: ``'after'`` (the worst case after
    each attack of a cascade) or ``'by'`` (each attack's own outcome).

    Each result (``self.results``) is a JSON-ready per-sample record: ``index`` (the dataset's ``sample_idx``),
    ``gt_label``, ``clean`` and ``adv`` (top-k hits), ``attacks`` (``'<mode>_<name>'``: top-k hits) and the
    gradient-masking observations the test loop adds (``checks``); the test loop saves them to resume
    and for analysis.

    Keys (in %): ``accuracy/top{k}`` (clean, the key of mmpretrain's ``Accuracy``), ``accuracy/robust_top{k}`` and,
    per attack, ``accuracy/robust_top{k}_after_<name>`` or ``accuracy/robust_top{k}_by_<name>``.
    """

    default_prefix = 'accuracy'

    def __init__(self, topk: Union[int, Tuple[int, ...]] = (1, ), collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.topk = (topk, ) if isinstance(topk, int) else tuple(topk)

    def record(self, sample: dict) -> dict:
        """The per-sample record of one data sample (see the class docstring)."""
        if 'adv_pred_score' not in sample:
            raise KeyError('RobustAccuracy needs adversarial predictions (adv_pred_score): evaluate with '
                           'AdversarialValLoop / AdversarialTestLoop (val_cfg / test_cfg)')
        label = sample['gt_label'].cpu()
        index = sample.get('sample_idx')
        record = dict(index=None if index is None else int(index), gt_label=int(label[0]),
                      clean=topk_hits(sample['pred_score'].cpu(), label, self.topk),
                      adv=topk_hits(sample['adv_pred_score'].cpu(), label, self.topk))
        scores = sample.get('adv_attack_scores')
        if scores:
            mode = sample['adv_attack_mode']
            record['attacks'] = {f'{mode}_{name}': topk_hits(score.cpu(), label, self.topk)
                                 for name, score in scores.items()}
        if sample.get('masking_checks') is not None:
            record['checks'] = dict(sample['masking_checks'])
        return record

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        self.results.extend(self.record(sample) for sample in data_samples)

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        metrics = {}
        for i, k in enumerate(self.topk):
            metrics[f'top{k}'] = 100 * sum(r['clean'][i] for r in results) / len(results)
            metrics[f'robust_top{k}'] = robust_accuracy(results, 'adv', i)
        for name in results[0].get('attacks', {}):
            for i, k in enumerate(self.topk):
                metrics[f'robust_top{k}_{name}'] = robust_accuracy(results, name, i)
        return metrics


def robust_accuracy(records: Sequence[dict], outcome: str, k_index: int = 0) -> float:
    """Robust accuracy (%) of ``records`` under ``outcome`` (``'adv'``, or a key of their ``attacks``): right both
    clean and at the attacked point, in the ``k_index``-th top-k."""
    hits = [r['clean'][k_index] and (r['adv'] if outcome == 'adv' else r['attacks'][outcome])[k_index]
            for r in records]
    return 100 * sum(hits) / len(hits)
