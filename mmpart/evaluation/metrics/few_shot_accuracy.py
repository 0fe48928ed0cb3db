"""Few-shot accuracy: mean over episodes with a 95% confidence interval."""
from collections import defaultdict
from typing import Dict, List, Sequence, Tuple

import numpy as np
from mmengine.evaluator import BaseMetric

from mmpart.registry import METRICS

__all__ = ['FewShotAccuracy', 'mean_confidence_interval']


def mean_confidence_interval(accuracies: Sequence[float]) -> Tuple[float, float]:
    """Mean and half-width of the 95% confidence interval, ``1.96 · std / √n``.

    ``std`` is the population standard deviation of the per-episode accuracies (numpy's default, as in
    mmfewshot and most few-shot code), ``n`` the number of episodes.
    """
    values = np.asarray(accuracies, dtype=np.float64)
    if values.size == 0:
        raise ValueError('mean_confidence_interval: no episode')
    return float(values.mean()), float(1.96 * values.std() / np.sqrt(values.size))


@METRICS.register_module()
class FewShotAccuracy(BaseMetric):
    """Mean query accuracy (%) over the evaluation episodes, ± the 95% confidence interval, per setting.

    Fed by :class:`MetaTestLoop` with one record per episode: ``setting`` (e.g. ``'5way-1shot'``),
    ``episode`` (its index) and ``accuracy`` (%). Records are put in episode order (and deduplicated)
    before averaging, so the numbers do not depend on how the episodes were shared among processes.
    Keys: ``fewshot/<setting>_accuracy``, ``fewshot/<setting>_ci95``, ``fewshot/<setting>_episodes``.
    """

    default_prefix = 'fewshot'

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        for record in data_samples:
            self.results.append(dict(setting=record['setting'], episode=int(record['episode']),
                                     accuracy=float(record['accuracy'])))

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        per_setting: Dict[str, Dict[int, float]] = defaultdict(dict)
        for record in results:
            per_setting[record['setting']][record['episode']] = record['accuracy']
        metrics = {}
        for setting, episodes in per_setting.items():
            mean, ci95 = mean_confidence_interval([episodes[i] for i in sorted(episodes)])
            metrics.update({f'{setting}_accuracy': mean, f'{setting}_ci95': ci95,
                            f'{setting}_episodes': len(episodes)})
        return metrics
