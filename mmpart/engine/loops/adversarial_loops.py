"""Validation and test loops that report clean and robust accuracy in one pass over the data.

A sample counts as robust when the model classifies it correctly both clean and at the point the attack
returns; the loops give attacks that take ``keep`` the evaluation rule ``'misclassified'`` unless the config
sets another, so a sample is broken as soon as any iterate or restart misclassifies it.
"""
import logging
import os.path as osp
from typing import Dict, List, Sequence, Union

import torch
import torch.nn as nn
from mmengine.dist import is_main_process
from mmengine.evaluator import Evaluator
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper
from mmengine.runner import TestLoop, ValLoop
from torch.utils.data import DataLoader

from mmpart.attacks import (
    EVALUATION_KEEP,
    BaseAttack,
    describe_threat_model,
    normalisation,
    pixel_space_logits,
    to_pixel_space,
    with_default_keep,
)
from mmpart.evaluation.metrics import RobustAccuracy
from mmpart.evaluation.tables import clean_robust_rows, markdown_table
from mmpart.registry import ATTACKS, LOOPS
from mmpart.utils import atomic_write_json

AttackCfg = Union[dict, BaseAttack]


def adversarial_predictions(model: nn.Module, data_batch: dict, attack: BaseAttack) -> list:
    """Clean predictions of a batch (``model.val_step``'s data samples) plus ``adv_pred_score`` and
    ``adv_pred_label`` under ``attack``. ``model`` is unwrapped and in eval mode; the attack sees
    [0, 1] images and the model's logits (``mode='tensor'``); the adversarial scores are the logits
    :meth:`~mmpart.attacks.BaseAttack.run` returns (no further forward pass)."""
    data = model.data_preprocessor(data_batch, False)
    with torch.no_grad():
        outputs = model(**data, mode='predict')
    images = to_pixel_space(model, data['inputs'])
    labels = torch.cat([sample.gt_label for sample in data['data_samples']]).to(images.device)
    scores = attack.run(pixel_space_logits(model), images, labels).logits.float().softmax(dim=1)
    for sample, score in zip(outputs, scores):
        sample.set_field(score, 'adv_pred_score')
        sample.set_field(score.argmax(dim=0, keepdim=True), 'adv_pred_label')
    return outputs


class _AdversarialMixin:
    """Builds the attack and runs it on every batch; ``self.runner`` / ``self.evaluator`` from the loop."""

    def _setup_attack(self, attack: AttackCfg) -> None:
        if isinstance(attack, dict):
            attack = with_default_keep(attack, EVALUATION_KEEP)
            self.attack = ATTACKS.build(attack)
        else:
            self.attack = attack
        self.attack_cfg = dict(attack) if isinstance(attack, dict) else dict(type=type(attack).__name__)
        if getattr(self.attack, 'keep', EVALUATION_KEEP) != EVALUATION_KEEP:
            print_log(f'{type(self).__name__}: the attack keeps the iterate by keep={self.attack.keep!r}, not '
                      f'{EVALUATION_KEEP!r}: a sample that some iterate misclassified can still count as robust, so '
                      'robust accuracy may be overstated', logger='current', level=logging.WARNING)
        if not any(isinstance(metric, RobustAccuracy) for metric in self.evaluator.metrics):
            raise ValueError(f'{type(self).__name__} needs a RobustAccuracy metric in its evaluator, '
                             f'got {[type(m).__name__ for m in self.evaluator.metrics]}')
        model = self.runner.model
        normalisation(model.module if is_model_wrapper(model) else model)

    def _log_threat_model(self) -> None:
        self.runner.logger.info(f'robust evaluation, threat model: {describe_threat_model(self.attack.threat_model())}')

    def _attacked_outputs(self, data_batch: dict) -> list:
        model = self.runner.model
        return adversarial_predictions(model.module if is_model_wrapper(model) else model, data_batch, self.attack)


@LOOPS.register_module()
class AdversarialValLoop(_AdversarialMixin, ValLoop):
    """:class:`mmengine.runner.ValLoop` that also attacks every batch (e.g. PGD-10 during training).

    Args:
        attack: attack config (``ATTACKS``) or object.
        Others as ``ValLoop``; the evaluator needs a :class:`RobustAccuracy`.
    """

    def __init__(self, runner, dataloader: Union[DataLoader, Dict], evaluator: Union[Evaluator, Dict, List],
                 attack: AttackCfg) -> None:
        super().__init__(runner, dataloader, evaluator)
        self._setup_attack(attack)

    def run(self) -> dict:
        self._log_threat_model()
        return super().run()

    def run_iter(self, idx: int, data_batch: Sequence[dict]) -> None:
        self.runner.call_hook('before_val_iter', batch_idx=idx, data_batch=data_batch)
        outputs = self._attacked_outputs(data_batch)
        self.evaluator.process(data_samples=outputs, data_batch=data_batch)
        self.runner.call_hook('after_val_iter', batch_idx=idx, data_batch=data_batch, outputs=outputs)


@LOOPS.register_module()
class AdversarialTestLoop(_AdversarialMixin, TestLoop):
    """:class:`mmengine.runner.TestLoop` that also attacks every batch, for ``tools/test.py --attack``.

    Besides the usual logs it writes ``<log_dir>/<summary_file>`` (attack, sample count, metrics)
    and logs a clean-vs-robust table.

    Args:
        attack: attack config (``ATTACKS``) or object.
        summary_file: JSON summary name in the run's log dir.
        Others as ``TestLoop``; the evaluator needs a :class:`RobustAccuracy`.
    """

    def __init__(self, runner, dataloader: Union[DataLoader, Dict], evaluator: Union[Evaluator, Dict, List],
                 attack: AttackCfg, summary_file: str = 'robustness.json') -> None:
        super().__init__(runner, dataloader, evaluator)
        self._setup_attack(attack)
        self.summary_file = summary_file

    def run_iter(self, idx: int, data_batch: Sequence[dict]) -> None:
        self.runner.call_hook('before_test_iter', batch_idx=idx, data_batch=data_batch)
        outputs = self._attacked_outputs(data_batch)
        self.evaluator.process(data_samples=outputs, data_batch=data_batch)
        self.runner.call_hook('after_test_iter', batch_idx=idx, data_batch=data_batch, outputs=outputs)

    def run(self) -> dict:
        self._log_threat_model()
        metrics = super().run()
        if is_main_process():
            path = osp.join(self.runner.log_dir, self.summary_file)
            threat_model = self.attack.threat_model()
            atomic_write_json(path, dict(attack=self.attack_cfg, threat_model=threat_model,
                                         num_samples=len(self.dataloader.dataset), metrics=metrics), indent=2)
            table = markdown_table(['metric', 'clean', f'robust: {describe_threat_model(threat_model)}'],
                                   clean_robust_rows(metrics))
            self.runner.logger.info(f'clean vs robust accuracy (%), written to {path}:\n{table}')
        return metrics
