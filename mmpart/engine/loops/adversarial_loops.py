"""Validation and test loops that report clean and robust accuracy in one pass over the data.

A sample counts as robust when the model classifies it correctly both clean and at the point the attack
returns; the loops give attacks that take ``keep`` the evaluation rule ``'misclassified'`` unless the config
sets another, so a sample is broken as soon as any iterate or restart misclassifies it.
"""
import copy
import hashlib
import json
import logging
import os.path as osp
import time
from typing import Dict, List, Optional, Sequence, Union

import torch
import torch.nn as nn
from mmengine.dist import all_gather_object, get_rank, is_main_process
from mmengine.evaluator import Evaluator
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper
from mmengine.runner import TestLoop, ValLoop
from torch.utils.data import DataLoader

from mmpart.attacks import (
    EVALUATION_KEEP,
    BaseAttack,
    attack_progress,
    describe_threat_model,
    normalisation,
    pixel_space_logits,
    to_pixel_space,
    with_default_keep,
)
from mmpart.evaluation.evaluation_key import evaluation_key
from mmpart.evaluation.masking_checks import checks_table, evaluation_checks, failed
from mmpart.evaluation.metrics import RobustAccuracy
from mmpart.evaluation.tables import clean_robust_rows, markdown_table
from mmpart.registry import ATTACKS, LOOPS
from mmpart.utils import atomic_write_json

from .masking_observations import masking_observations
from .sample_records import SampleRecords

AttackCfg = Union[dict, BaseAttack]
#: test_cfg options of AdversarialTestLoop that change where it writes, not what it computes
OUTPUT_OPTIONS = ('summary_file', 'per_sample_file', 'resume')


def batch_indices(data_batch: dict) -> List[Optional[int]]:
    """Dataset indices (``sample_idx``) of a collated batch's samples (None where the pipeline dropped it)."""
    return [sample.metainfo.get('sample_idx') for sample in data_batch['data_samples']]


def adversarial_predictions(model: nn.Module, data_batch: dict, attack: BaseAttack, checks: bool = False) -> list:
    """Clean predictions of a batch (``model.val_step``'s data samples) plus ``adv_pred_score`` and
    ``adv_pred_label`` under ``attack``. ``model`` is unwrapped and in eval mode; the attack sees
    [0, 1] images and the model's logits (``mode='tensor'``); the adversarial scores are the logits
    :meth:`~mmpart.attacks.BaseAttack.run` returns (no further forward pass). An attack that reports each of its
    attacks (``per_attack``) adds ``adv_attack_scores`` and ``adv_attack_mode``; ``checks`` adds the
    gradient-masking observations (``masking_checks``, see :func:`masking_observations`)."""
    data = model.data_preprocessor(data_batch, False)
    with torch.no_grad():
        outputs = model(**data, mode='predict')
    images = to_pixel_space(model, data['inputs'])
    labels = torch.cat([sample.gt_label for sample in data['data_samples']]).to(images.device)
    logits_fn = pixel_space_logits(model)
    observed = masking_observations(logits_fn, images, labels) if checks else None
    result = attack.run(logits_fn, images, labels)
    scores = result.logits.float().softmax(dim=1)
    per_attack = {name: logits.float().softmax(dim=1) for name, logits in (result.per_attack or {}).items()}
    for i, (sample, score) in enumerate(zip(outputs, scores)):
        sample.set_field(score, 'adv_pred_score')
        sample.set_field(score.argmax(dim=0, keepdim=True), 'adv_pred_label')
        if per_attack:
            sample.set_field({name: attack_scores[i] for name, attack_scores in per_attack.items()},
                             'adv_attack_scores')
            sample.set_metainfo(dict(adv_attack_mode=getattr(attack, 'mode', 'after')))
        if observed is not None:
            sample.set_metainfo(dict(masking_checks=observed[i]))
    return outputs


class _AdversarialMixin:
    """Builds the attack and runs it on every batch; ``self.runner`` / ``self.evaluator`` from the loop.

    Each batch is attacked with torch's RNG seeded by ``seed`` and the batch's first dataset index (and the
    caller's RNG state restored after), so a batch gets the same random starts in every run: a resumed run
    equals an uninterrupted one, and validation does not move the training RNG.
    """

    def _setup_attack(self, attack: AttackCfg, seed: int) -> None:
        if isinstance(attack, dict):
            attack = with_default_keep(attack, EVALUATION_KEEP)
            self.attack = ATTACKS.build(attack)
        else:
            self.attack = attack
        self.attack_cfg = dict(attack) if isinstance(attack, dict) else dict(type=type(attack).__name__)
        self.seed = seed
        if getattr(self.attack, 'keep', EVALUATION_KEEP) != EVALUATION_KEEP:
            print_log(f'{type(self).__name__}: the attack keeps the iterate by keep={self.attack.keep!r}, not '
                      f'{EVALUATION_KEEP!r}: a sample that some iterate misclassified can still count as robust, so '
                      'robust accuracy may be overstated', logger='current', level=logging.WARNING)
        robust_metrics = [metric for metric in self.evaluator.metrics if isinstance(metric, RobustAccuracy)]
        if not robust_metrics:
            raise ValueError(f'{type(self).__name__} needs a RobustAccuracy metric in its evaluator, '
                             f'got {[type(m).__name__ for m in self.evaluator.metrics]}')
        self.robust_metric = robust_metrics[0]
        model = self.runner.model
        normalisation(model.module if is_model_wrapper(model) else model)

    def _log_threat_model(self) -> None:
        self.runner.logger.info(f'robust evaluation, threat model: {describe_threat_model(self.attack.threat_model())}')

    def _attacked_outputs(self, data_batch: dict, idx: int, checks: bool = False) -> list:
        model = self.runner.model
        model = model.module if is_model_wrapper(model) else model
        first = batch_indices(data_batch)[0]
        devices = [torch.cuda.current_device()] if torch.cuda.is_available() else []
        with torch.random.fork_rng(devices=devices):
            torch.manual_seed(self.seed + (idx if first is None else first))
            return adversarial_predictions(model, data_batch, self.attack, checks)


@LOOPS.register_module()
class AdversarialValLoop(_AdversarialMixin, ValLoop):
    """:class:`mmengine.runner.ValLoop` that also attacks every batch (e.g. PGD-10 during training).

    Args:
        attack: attack config (``ATTACKS``) or object.
        seed: seed of the attack's randomness, combined with each batch's first index.
        Others as ``ValLoop``; the evaluator needs a :class:`RobustAccuracy`.
    """

    def __init__(self, runner, dataloader: Union[DataLoader, Dict], evaluator: Union[Evaluator, Dict, List],
                 attack: AttackCfg, seed: int = 0) -> None:
        super().__init__(runner, dataloader, evaluator)
        self._setup_attack(attack, seed)

    def run(self) -> dict:
        self._log_threat_model()
        return super().run()

    def run_iter(self, idx: int, data_batch: Sequence[dict]) -> None:
        self.runner.call_hook('before_val_iter', batch_idx=idx, data_batch=data_batch)
        outputs = self._attacked_outputs(data_batch, idx)
        self.evaluator.process(data_samples=outputs, data_batch=data_batch)
        self.runner.call_hook('after_val_iter', batch_idx=idx, data_batch=data_batch, outputs=outputs)


@LOOPS.register_module()
class AdversarialTestLoop(_AdversarialMixin, TestLoop):
    """:class:`mmengine.runner.TestLoop` that also attacks every batch, for ``tools/test.py --attack``.

    Besides the usual logs it writes to the run's log dir ``<summary_file>`` (attack, threat model, sample count,
    metrics, gradient-masking checks) and ``per_sample.json`` (one record per sample: clean and robust top-k hits,
    the outcome of each attack, the masking observations; see :class:`RobustAccuracy`), and logs a clean-vs-robust
    table, the per-attack numbers and the checks (:mod:`mmpart.evaluation.masking_checks`; failures as warnings).

    Resuming: with ``resume`` the records are saved after every batch under
    ``<work_dir>/robust_eval/<key>/`` (``key`` hashes the config and the checkpoint's content), and a run of the
    same evaluation skips the batches whose samples are all there; with the per-batch seeding of the attack its
    result equals that of an uninterrupted run. It needs a checkpoint (``load_from``) and RobustAccuracy as the
    only metric (another metric would miss the skipped samples); otherwise the run starts from scratch.

    Args:
        attack: attack config (``ATTACKS``) or object.
        summary_file: JSON summary name in the run's log dir.
        seed: seed of the attack's randomness, combined with each batch's first index.
        resume: save records as the run goes and skip the samples a previous run of the same evaluation did.
        checks: observe, per sample, a zero input gradient and varying logits at the clean point (one more
            forward-backward and forward pass per batch) for the gradient-masking checks.
        per_sample_file: also write the per-sample records here (``tools/test.py --out results.json``).
        Others as ``TestLoop``; the evaluator needs a :class:`RobustAccuracy`.
    """

    def __init__(self, runner, dataloader: Union[DataLoader, Dict], evaluator: Union[Evaluator, Dict, List],
                 attack: AttackCfg, summary_file: str = 'robustness.json', seed: int = 0, resume: bool = True,
                 checks: bool = True, per_sample_file: Optional[str] = None) -> None:
        super().__init__(runner, dataloader, evaluator)
        self._setup_attack(attack, seed)
        self.summary_file, self.per_sample_file = summary_file, per_sample_file
        self.resume, self.checks = resume, checks
        self.masking_checks: List[dict] = []

    def _open_records(self) -> SampleRecords:
        """The records store: resumable under the evaluation's key, or in memory only (and why)."""
        checkpoint = self.runner.cfg.get('load_from')
        reason = None
        if not self.resume:
            reason = 'resume=False'
        elif not checkpoint:
            reason = 'no checkpoint (load_from) to key the results on'
        elif len(self.evaluator.metrics) > 1:
            reason = (f'metrics {[type(m).__name__ for m in self.evaluator.metrics]} besides RobustAccuracy '
                      'would miss the skipped samples')
        if reason:
            if self.resume:
                print_log(f'robust evaluation: not resumable ({reason})', logger='current')
            return SampleRecords(None)
        cfg = copy.deepcopy(self.runner.cfg)
        for option in OUTPUT_OPTIONS:
            cfg.test_cfg.pop(option, None)
        key = evaluation_key(cfg, checkpoint)
        name = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:16]
        directory = osp.join(self.runner.work_dir, 'robust_eval', name)
        records = SampleRecords(directory, key, get_rank())
        if records.done:
            print_log(f'robust evaluation: resuming from {directory}: {len(records.done)} samples done are not '
                      'attacked again', logger='current')
        else:
            print_log(f'robust evaluation: per-sample results are saved to {directory} as the run goes; rerun the '
                      'same command to resume after a kill', logger='current')
        return records

    def run(self) -> dict:
        self._log_threat_model()
        self.records = self._open_records()
        self._attack_seconds: List[float] = []
        metrics = super().run()
        records = {}
        for part in all_gather_object(self.records.mine):
            records.update((r['index'] if r['index'] is not None else -1 - len(records), r) for r in part)
        records = [records[i] for i in sorted(records)]
        if is_main_process():
            self._report(metrics, records)
        return metrics

    def run_iter(self, idx: int, data_batch: Sequence[dict]) -> None:
        self.runner.call_hook('before_test_iter', batch_idx=idx, data_batch=data_batch)
        resumed = self.records.resumed(batch_indices(data_batch)) if self.records.directory else None
        if resumed is not None:
            outputs = []
            self.robust_metric.results.extend(copy.deepcopy(resumed))
        else:
            outputs = self._attacked_outputs_with_progress(data_batch, idx)
            seen = len(self.robust_metric.results)
            self.evaluator.process(data_samples=outputs, data_batch=data_batch)
            self.records.add(self.robust_metric.results[seen:])
        self.runner.call_hook('after_test_iter', batch_idx=idx, data_batch=data_batch, outputs=outputs)

    def _attacked_outputs_with_progress(self, data_batch: dict, idx: int) -> list:
        """The batch's attacked outputs; logs each attack's start and end (:class:`MultiAttack`) and the batch's
        time, so that an evaluation whose batches take minutes is never silent."""
        where = f'robust evaluation, batch {idx + 1}/{len(self.dataloader)}'
        start = time.perf_counter()
        with attack_progress(lambda message: self.runner.logger.info(f'{where}: {message}')):
            outputs = self._attacked_outputs(data_batch, idx, self.checks)
        self._attack_seconds.append(time.perf_counter() - start)
        left = (len(self.dataloader) - idx - 1) * sum(self._attack_seconds) / len(self._attack_seconds)
        self.runner.logger.info(f'{where}: attacked in {self._attack_seconds[-1]:.1f} s, about {left / 60:.1f} min '
                                'left')
        return outputs

    def _members(self) -> list:
        return self.attack.components() if hasattr(self.attack, 'components') else []

    def _report(self, metrics: dict, records: List[dict]) -> None:
        """Log the tables and checks; write the summary and the per-sample records."""
        threat_model = self.attack.threat_model()
        black_box = [name for name, attack in self._members() if getattr(attack, 'black_box', False)]
        self.masking_checks = evaluation_checks(records, getattr(self.attack, 'eot_iter', 1), black_box)
        summary = dict(attack=self.attack_cfg, threat_model=threat_model, num_samples=len(self.dataloader.dataset),
                       metrics=metrics, masking_checks=self.masking_checks)
        path = osp.join(self.runner.log_dir, self.summary_file)
        atomic_write_json(path, summary, indent=2)
        per_sample = dict(threat_model=threat_model, topk=list(self.robust_metric.topk), samples=records)
        for out in filter(None, (osp.join(self.runner.log_dir, 'per_sample.json'), self.per_sample_file)):
            atomic_write_json(out, per_sample)
        table = markdown_table(['metric', 'clean', 'robust'], clean_robust_rows(metrics))
        prefix = self.robust_metric.prefix
        per_attack = [[key[len(prefix) + 1:], value] for key, value in metrics.items()
                      if key.startswith(f'{prefix}/robust_top1_')]
        if per_attack:
            table += '\n\nper attack (%), after = worst case after it in the cascade, by = its own:\n' + markdown_table(
                ['metric', 'robust'], per_attack)
        self.runner.logger.info(f'clean vs robust accuracy (%) under {describe_threat_model(threat_model)}, written '
                                f'to {path}:\n{table}\n\n'
                                f'{checks_table(self.masking_checks)}')
        for flagged in failed(self.masking_checks):
            self.runner.logger.warning(f'gradient-masking check failed: {flagged["check"]}: {flagged["detail"]}')
