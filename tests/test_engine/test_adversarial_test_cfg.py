"""tools/test.py --test-set / --attack: the config's test, reshaped by the command line."""
import pytest
from mmengine.config import Config

from mmpart.engine.loops.adversarial_test_cfg import configure_adversarial_test, robust_evaluator, use_test_set


def plain_cfg(**extra) -> Config:
    return Config(dict(test_cfg=dict(), test_evaluator=dict(type='Accuracy', topk=(1, 5)), **extra))


def test_attack_flag_makes_the_test_adversarial():
    cfg = plain_cfg()
    assert configure_adversarial_test(cfg, 'pgd', dict(eps=8, steps=None))
    assert cfg.test_cfg == dict(type='AdversarialTestLoop', attack=dict(type='PGD', eps=8))
    assert cfg.test_evaluator == dict(type='RobustAccuracy', topk=(1, 5))


def test_config_attack_with_cli_overrides():
    cfg = plain_cfg()
    cfg.test_cfg = dict(type='AdversarialTestLoop', attack=dict(type='PGD', eps=4, steps=10), summary_file='a.json')
    cfg.test_evaluator = [dict(type='RobustAccuracy'), dict(type='SingleLabelMetric')]
    assert configure_adversarial_test(cfg, None, dict(steps=20))
    assert cfg.test_cfg == dict(type='AdversarialTestLoop', attack=dict(type='PGD', eps=4, steps=20),
                                summary_file='a.json')
    assert cfg.test_evaluator == [dict(type='RobustAccuracy'), dict(type='SingleLabelMetric')]


def test_plain_test_stays_plain_and_flags_need_an_attack():
    cfg = plain_cfg()
    assert not configure_adversarial_test(cfg, None, dict(eps=None))
    assert cfg.test_cfg == dict()
    with pytest.raises(ValueError, match=r"\['eps'\] need --attack"):
        configure_adversarial_test(cfg, None, dict(eps=4))


def test_robust_evaluator_adds_the_metric():
    assert robust_evaluator(dict(type='SingleLabelMetric')) == [dict(type='SingleLabelMetric'),
                                                               dict(type='RobustAccuracy', topk=(1, ))]


def test_use_test_set_replaces_the_test_only():
    cfg = plain_cfg(model=dict(type='ImageClassifier'), test_dataloader=dict(batch_size=8, dataset=dict(type='X')))
    use_test_set(cfg, 'configs/_base_/datasets/imagenet_c.py')
    assert cfg.test_dataloader.dataset.type == 'ImageNetC' and cfg.test_evaluator.type == 'CorruptionAccuracy'
    assert cfg.model == dict(type='ImageClassifier') and cfg.test_cfg == dict()
    with pytest.raises(ValueError, match='needs'):
        use_test_set(cfg, 'configs/_base_/default_runtime.py')
