"""Per-class accuracy, clean and under attack, and the confusion matrices behind it (mmpretrain's
``ConfusionMatrix`` counts and plots them).

Input are the test predictions as ``tools/test.py --out preds.pkl`` dumps them (mmengine's ``DumpResults``):
dicts with ``gt_label``, ``pred_label`` and, from an adversarial test, ``adv_pred_label``. Under attack a
sample counts as its *worst case*: the clean prediction if that is already wrong, else the prediction on the
adversarial image — the zero perturbation is in every threat model, as in :class:`RobustAccuracy`, so the
robust matrix's diagonal sums to the robust accuracy that metric reports.
"""
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
from mmpretrain.evaluation import ConfusionMatrix

from mmpart.evaluation.tables import markdown_table

from .figure_io import pyplot, save_figure

__all__ = ['prediction_labels', 'per_class_report', 'per_class_table', 'plot_per_class', 'plot_confusion_matrix']


def _label(value) -> int:
    return int(torch.as_tensor(value).reshape(-1)[0])


def prediction_labels(results: Sequence[dict]) -> Tuple[np.ndarray, np.ndarray, Optional[np.ndarray]]:
    """Ground truth, clean prediction and worst-case prediction under attack (None if not adversarial)."""
    if not results:
        raise ValueError('no predictions')
    missing = [k for k in ('gt_label', 'pred_label') if k not in results[0]]
    if missing:
        raise KeyError(f'predictions lack {missing}: dump classification results (tools/test.py --out)')
    gt = np.array([_label(r['gt_label']) for r in results])
    clean = np.array([_label(r['pred_label']) for r in results])
    if not all('adv_pred_label' in r for r in results):
        return gt, clean, None
    adversarial = np.array([_label(r['adv_pred_label']) for r in results])
    return gt, clean, np.where(clean == gt, adversarial, clean)


def _accuracy(matrix: torch.Tensor) -> List[Optional[float]]:
    totals = matrix.sum(dim=1)
    return [None if n == 0 else 100.0 * float(matrix[i, i]) / float(n) for i, n in enumerate(totals.tolist())]


def per_class_report(results: Sequence[dict], classes: Sequence[str], attack: Optional[dict] = None) -> dict:
    """Per-class and overall accuracy (%) with the confusion matrices (rows: true class, columns: predicted),
    ``robust`` entries only for adversarial predictions. JSON-serialisable."""
    gt, clean, worst = prediction_labels(results)
    num_classes = len(classes)
    if max(gt.max(), clean.max(), -1 if worst is None else worst.max()) >= num_classes:
        raise ValueError(f'labels up to {max(gt.max(), clean.max())} but {num_classes} class names')
    report: Dict[str, object] = dict(classes=list(classes), num_samples=np.bincount(gt, minlength=num_classes).tolist(),
                                     attack=attack)
    for name, pred in (('clean', clean), ('robust', worst)):
        if pred is None:
            continue
        matrix = ConfusionMatrix.calculate(torch.from_numpy(pred), torch.from_numpy(gt), num_classes)
        report[name] = dict(accuracy=100.0 * float((pred == gt).mean()), per_class_accuracy=_accuracy(matrix),
                            confusion_matrix=matrix.tolist())
    return report


def per_class_table(report: dict) -> str:
    """Markdown table: class, samples, clean and (if any) robust accuracy, then the overall row."""
    robust = 'robust' in report
    header = ['class', 'samples', 'clean'] + (['robust'] if robust else [])
    rows = []
    for i, name in enumerate(report['classes']):
        row = [name, report['num_samples'][i], report['clean']['per_class_accuracy'][i]]
        rows.append(row + ([report['robust']['per_class_accuracy'][i]] if robust else []))
    rows.append(['all', sum(report['num_samples']), report['clean']['accuracy']]
                + ([report['robust']['accuracy']] if robust else []))
    return markdown_table(header, rows)


def plot_per_class(report: dict, out_file: str, max_named: int = 60) -> None:
    """Per-class accuracy, clean and robust side by side, written atomically: horizontal bars with the class
    names for up to ``max_named`` classes, else each series sorted (the spread over classes)."""
    plt = pyplot()
    classes = report['classes']
    series = [(name, [v or 0.0 for v in report[name]['per_class_accuracy']]) for name in ('clean', 'robust')
              if name in report]
    labels = {name: f'{name} ({report[name]["accuracy"]:.1f}%)' for name, _ in series}
    if len(classes) <= max_named:
        fig, ax = plt.subplots(figsize=(7.5, 0.32 * len(classes) * len(series) + 1.5))
        y = np.arange(len(classes))[::-1]
        height = 0.8 / len(series)
        for i, (name, values) in enumerate(series):
            ax.barh(y + ((len(series) - 1) / 2 - i) * height, values, height, label=labels[name])
        ax.set_yticks(y, classes)
        ax.set_xlabel('accuracy (%)')
        ax.set_xlim(0, 100)
        ax.grid(axis='x', alpha=0.3)
    else:
        fig, ax = plt.subplots(figsize=(7.5, 4.5))
        for name, values in series:
            ax.plot(np.sort(values)[::-1], label=labels[name])
        ax.set_xlabel('classes, sorted by accuracy')
        ax.set_ylabel('accuracy (%)')
        ax.set_ylim(0, 100)
        ax.grid(alpha=0.3)
    ax.legend(loc='lower right')
    fig.tight_layout()
    save_figure(fig, out_file)


def plot_confusion_matrix(matrix: Sequence[Sequence[int]], classes: Sequence[str], out_file: str,
                          include_values: bool = False, cmap: str = 'viridis') -> None:
    """mmpretrain's confusion-matrix plot, written atomically."""
    pyplot()  # headless backend before mmpretrain's plot imports pyplot
    fig = ConfusionMatrix.plot(torch.tensor(matrix), include_values=include_values, cmap=cmap, classes=list(classes),
                               show=False)
    save_figure(fig, out_file)
