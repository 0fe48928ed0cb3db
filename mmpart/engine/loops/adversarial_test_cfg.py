"""How ``tools/test.py`` reshapes a config's test: another test set (``--test-set``), an attack (``--attack``)."""
from typing import Any, Dict, List, Optional, Union

from mmengine.config import Config

from mmpart.attacks import attack_config
from mmpart.utils.config_file import load_config

EvaluatorCfg = Union[dict, List[dict]]


TEST_SET_KEYS = ('test_dataloader', 'test_evaluator', 'test_cfg')


def use_test_set(cfg: Config, test_set: str) -> None:
    """Replace the test dataloader and evaluator (and ``test_cfg`` if it has one) of ``cfg`` by those of the
    config file ``test_set`` (e.g. ``configs/_base_/datasets/imagenet_c.py``); the model stays."""
    test_cfg = load_config(test_set)
    missing = [k for k in TEST_SET_KEYS[:2] if k not in test_cfg]
    if missing:
        raise ValueError(f'{test_set}: a test-set config needs {missing}')
    for key in TEST_SET_KEYS:
        if key in test_cfg:
            cfg[key] = test_cfg[key]


def robust_evaluator(evaluator: EvaluatorCfg) -> EvaluatorCfg:
    """The evaluator config with mmpretrain's ``Accuracy`` replaced by ``RobustAccuracy`` (same topk);
    ``RobustAccuracy(topk=1)`` is added if there is neither."""
    metrics = list(evaluator) if isinstance(evaluator, (list, tuple)) else [evaluator]
    out = []
    for metric in metrics:
        if metric.get('type') in ('Accuracy', 'mmpretrain.Accuracy'):
            metric = dict(type='RobustAccuracy', topk=metric.get('topk', (1, )))
        out.append(metric)
    if not any(m.get('type') == 'RobustAccuracy' for m in out):
        out.append(dict(type='RobustAccuracy', topk=(1, )))
    return out if len(out) > 1 else out[0]


def configure_adversarial_test(cfg: Config, name: Optional[str], overrides: Dict[str, Any]) -> bool:
    """Set ``cfg.test_cfg`` to an ``AdversarialTestLoop`` and the test evaluator to report robust accuracy.

    Args:
        cfg: the run's config, changed in place.
        name: ``--attack`` (see :data:`mmpart.attacks.ATTACK_NAMES`), or None to use the attack of an
            ``AdversarialTestLoop`` already in ``cfg.test_cfg``.
        overrides: attack arguments from the command line (None values are ignored).

    Returns:
        Whether the test is adversarial (False: no ``--attack`` and a plain test config).
    """
    test_cfg = dict(cfg.get('test_cfg') or {})
    adversarial = test_cfg.get('type') == 'AdversarialTestLoop'
    if name is None and not adversarial:
        given = sorted(k for k, v in overrides.items() if v is not None)
        if given:
            raise ValueError(f'attack arguments {given} need --attack NAME or an AdversarialTestLoop test_cfg')
        return False
    attack = attack_config(name, overrides, test_cfg.get('attack') if adversarial else None)
    cfg.test_cfg = {**test_cfg, 'attack': attack} if adversarial else dict(type='AdversarialTestLoop', attack=attack)
    cfg.test_evaluator = robust_evaluator(cfg.test_evaluator)
    return True
