"""Training curves of one or several runs from mmengine's json logs.

A run is given as its json log (``<work_dir>/<timestamp>/vis_data/<timestamp>.json``) or its work dir
(the latest log in it). The default curves are those of mmpart's runs: ``loss`` / ``loss_cls``, the per-scale
part losses ``loss_part_s*``, the part accuracy ``acc_part``, clean and robust validation accuracy and the
learning rate (and the usual losses and mAP / mIoU of mmdet and mmseg runs); each metric gets its own axes and
each run one colour in all of them.
"""
import glob
import json
import os.path as osp
import re
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from mmpart.evaluation.tables import markdown_table
from mmpart.utils.config_file import load_config

from .figure_io import pyplot, save_figure

__all__ = ['DEFAULT_KEY_PATTERNS', 'RunLog', 'iters_per_epoch', 'load_run', 'curve_keys', 'plot_curves', 'train_time',
           'summary_rows', 'summary_table']

# regular expressions of the metrics plotted by default, in this order: classifiers and MPM, then the
# losses and validation metrics of mmdet's Mask R-CNN and mmseg's segmentors
DEFAULT_KEY_PATTERNS = (r'loss', r'loss_cls', r'loss_part_s\d+', r'acc_part', r'accuracy/top1',
                        r'accuracy/robust_top1', r'loss_rpn_cls', r'loss_rpn_bbox', r'loss_bbox', r'loss_mask',
                        r'decode\.loss_\w+', r'coco/bbox_mAP', r'coco/segm_mAP', r'mIoU', r'lr')


class RunLog:
    """The train and val records of one run; x positions in epochs for epoch-based runs, else iterations.

    ``val_steps`` (one per val record) is where each validation ran, in iterations, for iteration-based runs:
    mmengine logs their validation at ``step = runner.epoch``, which is 0 (see :func:`load_run`)."""

    def __init__(self, name: str, path: str, train: List[dict], val: List[dict],
                 val_steps: Optional[List[float]] = None) -> None:
        self.name, self.path, self.train, self.val = name, path, train, val
        self.by_epoch = bool(train) and 'epoch' in train[0]
        self.iters_per_epoch = iters_per_epoch(train) if self.by_epoch else None
        self.val_steps = val_steps

    def keys(self) -> List[str]:
        """Metric keys logged in training or validation."""
        skip = {'epoch', 'iter', 'step', 'time', 'data_time', 'memory'}
        seen: Dict[str, None] = {}
        for record in self.train + self.val:
            seen.update((k, None) for k in record if k not in skip)
        return list(seen)

    def curve(self, key: str) -> Tuple[np.ndarray, np.ndarray]:
        """x (epochs or iterations) and y of ``key`` (validation records if it is a val metric)."""
        val = [i for i, r in enumerate(self.val) if key in r]
        if val:
            steps = self.val_steps or [r['step'] for r in self.val]
            return (np.array([steps[i] for i in val], dtype=float),
                    np.array([self.val[i][key] for i in val], dtype=float))
        records = [r for r in self.train if key in r]
        if not records:
            return np.zeros(0), np.zeros(0)
        xs = np.array([r['step'] for r in records], dtype=float)
        if self.iters_per_epoch:
            xs = xs / self.iters_per_epoch
        return xs, np.array([r[key] for r in records], dtype=float)


def iters_per_epoch(train: Sequence[dict]) -> Optional[int]:
    """Training iterations per epoch of an epoch-based run, from its train records (``step`` = global iteration).

    The logger writes at the same places of every epoch (every ``interval`` iterations, mmengine dropping the
    last partial window), so the first records of two epochs lie a whole number of epochs apart. With one
    epoch logged, its last logged step: a lower bound (the last ``< interval`` iterations are not logged)."""
    first: Dict[int, int] = {}
    for record in train:
        first.setdefault(record['epoch'], record['step'])
    epochs = sorted(first)
    if len(epochs) >= 2:
        a, b = epochs[:2]
        return round((first[b] - first[a]) / (b - a))
    return max((r['step'] for r in train), default=None)


def _json_records(json_log: str) -> Tuple[List[dict], List[dict], List[Optional[int]]]:
    """Train and val records of an mmengine json log (train records have ``lr``, as mmpretrain's
    ``load_json_log`` tells them apart) and, per val record, the step of the last train record before it."""
    train: List[dict] = []
    val: List[dict] = []
    before: List[Optional[int]] = []
    with open(json_log) as f:
        for line in f:
            if not line.strip():
                continue
            record = json.loads(line)
            if 'lr' in record:
                train.append(record)
            else:
                val.append(record)
                before.append(train[-1]['step'] if train else None)
    return train, val, before


def _val_iterations(json_log: str, before: Sequence[Optional[int]]) -> List[float]:
    """Where each validation of an iteration-based run ran: the first iteration that the run's train loop
    validates at (``val_begin``, ``val_interval``, ``max_iters`` of the ``config.py`` mmengine saves beside the
    log) at or after the last train record before it; that record's step if the config is not there."""
    schedule: List[int] = []
    config = osp.join(osp.dirname(json_log), 'config.py')
    if osp.isfile(config):
        train_cfg = load_config(config, import_custom_modules=False).get('train_cfg') or {}
        if 'max_iters' in train_cfg:
            last, interval = int(train_cfg['max_iters']), int(train_cfg.get('val_interval', 1000))
            begin = int(train_cfg.get('val_begin', 1))
            schedule = [i for i in range(max(begin, 1), last + 1) if i % interval == 0 or i == last]
    steps: List[float] = []
    for step in before:
        floor = max(step or 0, steps[-1] + 1 if steps else 0)
        steps.append(float(next((i for i in schedule if i >= floor), floor)))
    return steps


def _find_json_log(path: str) -> str:
    if osp.isfile(path):
        return path
    if not osp.isdir(path):
        raise FileNotFoundError(f'{path}: no such file or directory (a work dir or its json log)')
    logs = sorted(glob.glob(osp.join(path, '*', 'vis_data', '*.json')))
    logs = [p for p in logs if osp.basename(p) != 'scalars.json']
    if not logs:
        raise FileNotFoundError(f'{path}: no mmengine json log (<timestamp>/vis_data/<timestamp>.json) in it')
    return logs[-1]


def load_run(path: str, name: Optional[str] = None) -> RunLog:
    """The run of a json log or of a work dir (its latest log); named after the work dir by default.

    Validation records of iteration-based runs are placed at the iteration they ran (mmengine logs them at
    step 0 unless the logger has ``log_metric_by_epoch=False``)."""
    json_log = _find_json_log(path)
    try:
        train, val, before = _json_records(json_log)
    except ValueError as err:
        raise ValueError(f'{json_log}: not an mmengine json log ({err})') from None
    if name is None:
        name = osp.basename(osp.dirname(osp.dirname(osp.dirname(osp.abspath(json_log)))))
    by_iteration = bool(train) and 'epoch' not in train[0]
    logged_at_zero = by_iteration and bool(val) and all(r.get('step', 0) == 0 for r in val)
    return RunLog(name, json_log, train, val, _val_iterations(json_log, before) if logged_at_zero else None)


def curve_keys(runs: Sequence[RunLog], keys: Optional[Sequence[str]] = None) -> List[str]:
    """``keys`` (each must be logged by some run), or the default metrics that any run logged."""
    available = list(dict.fromkeys(k for run in runs for k in run.keys()))
    if keys:
        missing = [k for k in keys if k not in available]
        if missing:
            raise ValueError(f'{missing} not in the logs of {[r.path for r in runs]}; they have {available}')
        return list(keys)
    return [k for pattern in DEFAULT_KEY_PATTERNS for k in available if re.fullmatch(pattern, k)]


def plot_curves(runs: Sequence[RunLog], keys: Sequence[str], out_file: str, title: Optional[str] = None,
                columns: int = 3) -> None:
    """One axes per metric, one line per run (same colour in every axes), written atomically to ``out_file``."""
    plt = pyplot()
    columns = min(columns, len(keys))
    rows = -(-len(keys) // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(4.2 * columns, 3.2 * rows), squeeze=False)
    colours = plt.rcParams['axes.prop_cycle'].by_key()['color']
    for ax, key in zip(axes.flat, keys):
        for i, run in enumerate(runs):
            xs, ys = run.curve(key)
            if len(xs):
                ax.plot(xs, ys, color=colours[i % len(colours)], label=run.name, linewidth=1.2,
                        marker='o' if len(xs) < 30 else None, markersize=3)
        ax.set_title(key)
        ax.set_xlabel('epoch' if all(r.by_epoch for r in runs) else 'iteration')
        ax.grid(alpha=0.3)
    for ax in list(axes.flat)[len(keys):]:
        ax.axis('off')
    by_label: dict = {}
    for ax in axes.flat:
        for handle, label in zip(*ax.get_legend_handles_labels()):
            by_label.setdefault(label, handle)
    fig.legend(list(by_label.values()), list(by_label), loc='upper center', ncol=min(len(runs), 6), frameon=False)
    if title:
        fig.suptitle(title, y=1.02)
    fig.tight_layout(rect=(0, 0, 1, 0.93))
    save_figure(fig, out_file)


def train_time(run: RunLog) -> Dict[str, float]:
    """Mean seconds per training iteration (first logged window excluded when there are others: it holds
    the warm-up) and mean data time."""
    records = run.train[1:] if len(run.train) > 1 else run.train
    if not records:
        raise ValueError(f'{run.path}: no training records')
    return dict(time=float(np.mean([r['time'] for r in records])),
                data_time=float(np.mean([r['data_time'] for r in records])))


def summary_rows(runs: Sequence[RunLog], keys: Sequence[str]) -> Tuple[List[str], List[list]]:
    """Header and rows of a table with the last and best value (max for accuracy, mAP and mIoU, else min) of
    each key."""
    header = ['run'] + [f'{key} {which}' for key in keys for which in ('last', 'best')]
    rows = []
    for run in runs:
        row: list = [run.name]
        for key in keys:
            _, ys = run.curve(key)
            best = (ys.max() if re.search(r'acc|top\d|mAP|mIoU', key) else ys.min()) if len(ys) else None
            row += [float(ys[-1]) if len(ys) else None, None if best is None else float(best)]
        rows.append(row)
    return header, rows


def summary_table(runs: Sequence[RunLog], keys: Sequence[str]) -> str:
    """Markdown form of :func:`summary_rows`."""
    return markdown_table(*summary_rows(runs, keys))
