"""RobustAccuracy: clean and robust top-k on hand-built predictions."""
import pytest
import torch
from mmpretrain.evaluation import Accuracy

from mmpart.registry import METRICS


def sample(label, clean, adv):
    return dict(gt_label=torch.tensor([label]), pred_score=torch.tensor(clean), adv_pred_score=torch.tensor(adv))


SAMPLES = [
    sample(0, [0.7, 0.2, 0.1], [0.6, 0.3, 0.1]),  # right, stays right
    sample(0, [0.7, 0.2, 0.1], [0.2, 0.7, 0.1]),  # right, broken (still top-2)
    sample(1, [0.7, 0.2, 0.1], [0.1, 0.8, 0.1]),  # top-1 wrong clean, right under attack: not top-1 robust
    sample(2, [0.1, 0.2, 0.7], [0.5, 0.4, 0.1]),  # right, broken out of the top-2
]


def test_clean_and_robust_topk():
    metric = METRICS.build(dict(type='RobustAccuracy', topk=(1, 2)))
    metric.dataset_meta = {}
    metric.process({}, SAMPLES)
    assert metric.evaluate(len(SAMPLES)) == {
        'accuracy/top1': 75.0, 'accuracy/robust_top1': 25.0, 'accuracy/top2': 100.0, 'accuracy/robust_top2': 75.0}

    reference = Accuracy(topk=(1, 2))
    reference.process({}, SAMPLES)
    assert reference.evaluate(len(SAMPLES)) == {'accuracy/top1': 75.0, 'accuracy/top2': 100.0}


def test_prefix_and_int_topk():
    metric = METRICS.build(dict(type='RobustAccuracy', topk=1, prefix='pgd'))
    metric.process({}, SAMPLES)
    assert metric.evaluate(len(SAMPLES)) == {'pgd/top1': 75.0, 'pgd/robust_top1': 25.0}


def test_needs_adversarial_predictions():
    metric = METRICS.build(dict(type='RobustAccuracy'))
    with pytest.raises(KeyError, match=r'RobustAccuracy needs adversarial predictions \(adv_pred_score\): evaluate '
                                       r'with AdversarialValLoop / AdversarialTestLoop'):
        metric.process({}, [dict(gt_label=torch.tensor([0]), pred_score=torch.tensor([1.0, 0.0]))])


def test_records_and_per_attack_numbers():
    # per attack of a cascade: fgsm keeps samples 0, 1 and 3 top-1 right, pgd only sample 0 (as the final adv)
    scores = [dict(fgsm=[0.6, 0.3, 0.1], pgd=[0.6, 0.3, 0.1]), dict(fgsm=[0.6, 0.3, 0.1], pgd=[0.2, 0.7, 0.1]),
              dict(fgsm=[0.1, 0.8, 0.1], pgd=[0.1, 0.8, 0.1]), dict(fgsm=[0.1, 0.1, 0.8], pgd=[0.5, 0.4, 0.1])]
    samples = [dict(s, sample_idx=10 + i, adv_attack_mode='after',
                    adv_attack_scores={name: torch.tensor(v) for name, v in scores[i].items()})
               for i, s in enumerate(SAMPLES)]
    metric = METRICS.build(dict(type='RobustAccuracy', topk=(1, 2)))
    metric.process({}, samples)
    assert metric.results[1] == dict(index=11, gt_label=0, clean=[True, True], adv=[False, True],
                                     attacks=dict(after_fgsm=[True, True], after_pgd=[False, True]))
    assert metric.evaluate(len(samples)) == {
        'accuracy/top1': 75.0, 'accuracy/robust_top1': 25.0, 'accuracy/top2': 100.0, 'accuracy/robust_top2': 75.0,
        'accuracy/robust_top1_after_fgsm': 75.0, 'accuracy/robust_top2_after_fgsm': 100.0,
        'accuracy/robust_top1_after_pgd': 25.0, 'accuracy/robust_top2_after_pgd': 75.0}
    metric = METRICS.build(dict(type='RobustAccuracy'))
    metric.process({}, SAMPLES[:1])
    assert metric.results == [dict(index=None, gt_label=0, clean=[True], adv=[True])]  # no sample_idx, no attacks
