"""FewShotAccuracy and the 95% confidence interval against a hand computation."""
import math

import pytest

from mmpart.evaluation.metrics import FewShotAccuracy, mean_confidence_interval


def test_confidence_interval_by_hand():
    # mean 70; deviations 10, 10, 30, 30 -> population variance (100 + 100 + 900 + 900) / 4 = 500
    mean, ci95 = mean_confidence_interval([60, 80, 100, 40])
    assert mean == pytest.approx(70)
    assert ci95 == pytest.approx(1.96 * math.sqrt(500) / math.sqrt(4))
    assert mean_confidence_interval([50.0]) == (50.0, 0.0)
    with pytest.raises(ValueError, match='no episode'):
        mean_confidence_interval([])


def test_metric_groups_settings_and_ignores_the_order_and_duplicates_of_records():
    metric = FewShotAccuracy()
    records = [dict(setting='5way-1shot', episode=i, accuracy=a) for i, a in enumerate([60, 80, 100, 40])]
    records += [dict(setting='5way-5shot', episode=0, accuracy=90.0), dict(setting='5way-5shot', episode=1,
                                                                           accuracy=70.0)]
    # processes hand records back interleaved (and a padded copy may come twice)
    metric.process({}, [dict(r, episode=str(r['episode']), accuracy=int(r['accuracy']), extra='x')
                        for r in records[::-1] + records[:1]])  # as the loop hands them: types normalised
    assert metric.results[0] == dict(setting='5way-5shot', episode=1, accuracy=70.0)
    assert type(metric.results[0]['episode']) is int and type(metric.results[0]['accuracy']) is float
    metrics = metric.compute_metrics(metric.results)
    assert metrics['5way-1shot_accuracy'] == pytest.approx(70)
    assert metrics['5way-1shot_ci95'] == pytest.approx(1.96 * math.sqrt(500) / 2)
    assert metrics['5way-1shot_episodes'] == 4
    assert metrics['5way-5shot_accuracy'] == pytest.approx(80)
    assert metrics['5way-5shot_ci95'] == pytest.approx(1.96 * 10 / math.sqrt(2))
    assert FewShotAccuracy.default_prefix == 'fewshot'
