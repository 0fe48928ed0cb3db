"""Adversarial val/test loops on a hand-set classifier whose robust accuracy is known in closed form."""
import re

import pytest
import torch
from mmengine.dataset import pseudo_collate
from mmengine.runner import Runner

from mmpart.attacks import CW, PGD, AttackResult, BaseAttack
from mmpart.engine.loops import AdversarialTestLoop, adversarial_predictions
from mmpart.engine.loops import adversarial_loops as loops_module
from mmpart.evaluation.metrics import RobustAccuracy
from mmpart.registry import DATASETS
from mmpart.utils import register_all_modules

from .hand_set_classifier import (
    WRONG,
    build_hand_set_model,
    expected_accuracy,
    expected_curve,
    hand_set_config,
    make_margin_data,
    write_checkpoint,
)

RADII = (0, 1, 2, 4, 8, 16, 32, 64)


@pytest.fixture(scope='module')
def data_root(tmp_path_factory):
    return make_margin_data(tmp_path_factory.mktemp('margins'))


@pytest.fixture(scope='module')
def batch(data_root):
    register_all_modules()
    dataset = DATASETS.build(hand_set_config(data_root).test_dataloader.dataset)
    return pseudo_collate([dataset[i] for i in range(len(dataset))])


@pytest.fixture(scope='module')
def model():
    return build_hand_set_model()


def accuracy(model, batch, attack) -> dict:
    metric = RobustAccuracy()
    metric.process(batch, [s.to_dict() for s in adversarial_predictions(model, batch, attack)])
    return metric.compute_metrics(metric.results)


def test_adversarial_val_loop_reports_clean_and_robust(data_root, tmp_path):
    cfg = hand_set_config(data_root)
    cfg.work_dir = str(tmp_path)
    cfg.load_from = write_checkpoint(tmp_path / 'hand_set.pth')
    cfg.log_level = 'INFO'
    cfg.val_cfg = dict(type='AdversarialValLoop', attack=dict(type='PGD', eps=4, steps=10, step_size=1))
    cfg.val_evaluator = dict(type='RobustAccuracy', topk=(1, 2))
    runner = Runner.from_cfg(cfg)
    metrics = runner.val()
    attack = runner.val_loop.attack
    assert isinstance(attack, PGD) and attack.steps == 10 and attack.keep == 'misclassified'  # evaluation rule
    log = next(tmp_path.glob('*/*.log')).read_text()
    top = log.index('robust evaluation, threat model: PGD, L∞ ε = 4/255 (0.015686 in [0, 1]), steps=10, step_size=1')
    assert 'keep=misclassified' in log[top:top + 300] and top < log.index('accuracy/robust_top1')
    assert metrics['accuracy/top1'] == pytest.approx(expected_accuracy(0))
    # an attack that does nothing would report the clean number here
    assert metrics['accuracy/robust_top1'] == pytest.approx(expected_accuracy(4))
    assert expected_accuracy(4) < expected_accuracy(0)
    assert metrics['accuracy/top2'] == metrics['accuracy/robust_top2'] == 100  # two classes


@pytest.mark.parametrize('random_start', [False, True])
def test_robust_accuracy_curve_is_the_closed_form(model, batch, random_start):
    # step eps/4 and 10 steps reach the far corner of the ball from any start
    torch.manual_seed(0)
    curve = [accuracy(model, batch, PGD(eps=eps, steps=10, step_size=eps / 4, random_start=random_start))
             for eps in RADII]
    assert [c['top1'] for c in curve] == pytest.approx([expected_accuracy(0)] * len(RADII))
    assert [c['robust_top1'] for c in curve] == pytest.approx(expected_curve(RADII))
    assert curve[-1]['robust_top1'] == 0


def test_robust_flags_non_increasing_in_steps(model, batch):
    # CW with step 0.5/255 and no random start moves the red mean by 0.5/255 per step (capped at eps = 2):
    # after 1 and 2 steps no correct sample is broken, after 5 the two at distance 1.5 are.
    broken = []
    for steps in (1, 2, 5):
        outputs = adversarial_predictions(model, batch, CW(eps=2, steps=steps, step_size=0.5, random_start=False))
        broken.append(torch.stack([s.adv_pred_label != s.gt_label for s in outputs])[:, 0])
    assert [int(b.sum()) for b in broken] == [2, 2, 4]  # the two misclassified samples (distance WRONG) always
    assert all((a <= b).all() for a, b in zip(broken, broken[1:]))
    assert WRONG > 2


def test_adversarial_predictions_keep_clean_predictions(model, batch):
    outputs = adversarial_predictions(model, batch, PGD(eps=0, steps=1))
    with torch.no_grad():
        expected = model.val_step(batch)
    for out, ref in zip(outputs, expected):
        torch.testing.assert_close(out.pred_score, ref.pred_score)
        torch.testing.assert_close(out.adv_pred_score, ref.pred_score)


def test_loop_needs_robust_metric(data_root, tmp_path):
    cfg = hand_set_config(data_root)
    cfg.work_dir = str(tmp_path)
    runner = Runner.from_cfg(cfg)
    with pytest.raises(ValueError, match='RobustAccuracy'):
        AdversarialTestLoop(runner, cfg.test_dataloader, dict(type='Accuracy'), attack=dict(type='PGD'))


class FixedLogits(BaseAttack):
    """Returns the images unchanged, with logits of its own (class 1 wins everywhere)."""

    def __call__(self, logits_fn, images, labels):
        return images

    def run(self, logits_fn, images, labels):
        logits = torch.zeros(images.size(0), 2)
        logits[:, 1] = 3.0
        return AttackResult(images, logits)

    def threat_model(self):
        return dict(attack='FixedLogits', norm='linf', eps=0.0, eps_01=0.0, eps_255=0.0)


def test_adversarial_scores_are_the_logits_the_attack_returns(model, batch):
    # no second forward pass: the scores come from AttackResult.logits
    outputs = adversarial_predictions(model, batch, FixedLogits())
    expected = torch.tensor([0.0, 3.0]).softmax(0)
    for out in outputs:
        torch.testing.assert_close(out.adv_pred_score, expected)
        assert out.adv_pred_label.item() == 1


def test_loop_uses_the_evaluation_rule_unless_told(data_root, tmp_path, monkeypatch):
    cfg = hand_set_config(data_root)
    cfg.work_dir = str(tmp_path)
    runner = Runner.from_cfg(cfg)
    warnings = []
    monkeypatch.setattr(loops_module, 'print_log', lambda msg, **kwargs: warnings.append(msg))
    loop = AdversarialTestLoop(runner, cfg.test_dataloader, dict(type='RobustAccuracy'), attack=dict(type='CW'))
    assert loop.attack.keep == 'misclassified' and loop.attack_cfg == dict(type='CW', keep='misclassified')
    assert not warnings
    loop = AdversarialTestLoop(runner, cfg.test_dataloader, dict(type='RobustAccuracy'),
                               attack=dict(type='PGD', keep='loss'))
    assert loop.attack.keep == 'loss' and len(warnings) == 1 and 'overstated' in warnings[0]
    AdversarialTestLoop(runner, cfg.test_dataloader, dict(type='RobustAccuracy'), attack=dict(type='AutoAttack'))
    assert len(warnings) == 1  # AutoAttack has no keep: always the evaluation rule


def test_loop_needs_the_preprocessor_normalisation(data_root, tmp_path):
    cfg = hand_set_config(data_root)
    cfg.work_dir = str(tmp_path)
    cfg.model.data_preprocessor = dict(type='ClsDataPreprocessor', num_classes=2)
    runner = Runner.from_cfg(cfg)
    with pytest.raises(ValueError, match=r'ImageClassifier.data_preprocessor \(ClsDataPreprocessor\) has no mean/std'):
        AdversarialTestLoop(runner, cfg.test_dataloader, dict(type='RobustAccuracy'), attack=dict(type='PGD'))


def test_test_loop_shows_each_batchs_attacks_and_time(data_root, tmp_path):
    """Long evaluations are never silent: each attack of each batch says when it starts and what it broke, each
    batch how long it took and about how long is left."""
    cfg = hand_set_config(data_root)
    cfg.work_dir, cfg.log_level = str(tmp_path), 'INFO'
    cfg.load_from = write_checkpoint(tmp_path / 'hand_set.pth')
    cfg.test_dataloader.batch_size = 8
    cfg.test_cfg = dict(type='AdversarialTestLoop', resume=False, attack=dict(
        type='MultiAttack', names=['fgsm', 'pgd'], attacks=[dict(type='FGSM', eps=4), dict(type='PGD', eps=4)]))
    cfg.test_evaluator = dict(type='RobustAccuracy')
    runner = Runner.from_cfg(cfg)
    runner.test()
    batches = len(runner.test_dataloader)
    log = next(tmp_path.glob('*/*.log')).read_text()
    assert batches > 1
    for batch in range(1, batches + 1):
        where = rf'robust evaluation, batch {batch}/{batches}: '
        assert re.search(where + r'attack 1/2 fgsm: (\d+) of (\d+) samples\n', log)
        assert re.search(where + r'attack 1/2 fgsm: broke \d+ of \d+ in \d+\.\d s\n', log)
        assert re.search(where + r'attacked in \d+\.\d s, about \d+\.\d min left\n', log)
    assert re.search(r'batch 1/\d+: attack 2/2 pgd: broke \d+ of \d+ in', log)
