"""Robustness report: run (or collect) clean, PGD-ε sweep, AutoAttack and distribution-shift evaluations of
checkpoints, then write a markdown table, JSON and an accuracy-vs-ε plot."""
import json
import logging
import os.path as osp
from functools import partial
from typing import Callable, Dict, List, Optional, Sequence, Tuple

from mmengine.config import Config
from mmengine.logging import print_log
from mmengine.runner import Runner

from mmpart.attacks import EVALUATION_KEEP, with_default_keep
from mmpart.engine.loops.test_config import configure_adversarial_test, use_test_set
from mmpart.registry import ATTACKS
from mmpart.utils import atomic_write, atomic_write_json, atomic_write_text

from .evaluation_key import evaluation_key
from .tables import markdown_table

# the headline numbers of a clean evaluation, in table order
HEADLINE_KEYS = ('accuracy/top1', 'imagenet_c/mean_accuracy', 'imagenet_c/mCE', 'shape_bias/shape_bias')
Metrics = Dict[str, float]


def evaluation_config(config: str, checkpoint: str, work_dir: str, test_set: Optional[str] = None,
                      attack: Optional[dict] = None, cfg_options: Optional[dict] = None) -> Config:
    """The config ``tools/test.py CONFIG CKPT [--test-set SET]`` runs with ``attack`` as ``test_cfg.attack``.
    ``cfg_options`` change ``config`` before ``test_set`` replaces its test dataloader and evaluator."""
    cfg = Config.fromfile(config)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    if test_set:
        use_test_set(cfg, test_set)
    if attack:
        cfg.test_cfg = dict(type='AdversarialTestLoop', attack=attack)
        configure_adversarial_test(cfg, None, {})
    cfg.load_from, cfg.work_dir = checkpoint, work_dir
    cfg.experiment_name = osp.basename(osp.normpath(work_dir))
    return cfg


def run_evaluation(cfg: Config) -> Metrics:
    """Test with ``cfg`` (from :func:`evaluation_config`) in this process; returns the metrics."""
    return Runner.from_cfg(cfg).test()


def cached(path: str, key: Dict[str, str], evaluate: Callable[[], Metrics], force: bool = False,
           extra: Optional[dict] = None) -> Metrics:
    """Metrics from ``path`` if a previous run with the same ``key`` wrote them (collect), else ``evaluate()``
    written there with ``key`` and ``extra`` (a stale file, from another checkpoint or config, is re-evaluated)."""
    if osp.isfile(path) and not force:
        with open(path) as f:
            previous = json.load(f)
        if previous.get('key') == key:
            print_log(f'collected {path}', logger='current')
            return previous['metrics']
        changed = sorted(k for k in key if previous.get('key', {}).get(k) != key[k])
        print_log(f'{path} is stale ({", ".join(changed)} changed): evaluating again', logger='current',
                  level=logging.WARNING)
    metrics = evaluate()
    atomic_write_json(path, dict(key=key, **(extra or {}), metrics=metrics), indent=2)
    return metrics


def evaluation_plan(eps: Sequence[float], pgd_steps: int, autoattack_eps: Optional[float],
                    test_sets: Dict[str, str]) -> List[Tuple[str, Optional[str], Optional[dict]]]:
    """``(name, test_set, attack)`` of every evaluation of one checkpoint."""
    plan = [(f'pgd{pgd_steps}_eps{e:g}', None, dict(type='PGD', eps=float(e), steps=pgd_steps)) for e in eps]
    if autoattack_eps is not None:
        plan.append((f'autoattack_eps{autoattack_eps:g}', None, dict(type='AutoAttack', eps=float(autoattack_eps))))
    plan += [(name, path, None) for name, path in test_sets.items()]
    return plan


def report_rows(results: Dict[str, Dict[str, Metrics]], eps: Sequence[float],
                pgd_steps: int) -> Tuple[List[str], List[list]]:
    """Header and one row per model: clean, robust per ε, AutoAttack, the headline of each test set."""
    columns: List[Tuple[str, str, str]] = []  # (header, evaluation, metric key)
    first = next(iter(results.values()))
    if eps:
        columns.append(('clean', f'pgd{pgd_steps}_eps{eps[0]:g}', 'accuracy/top1'))
    for name, metrics in first.items():
        if 'accuracy/robust_top1' in metrics:
            columns.append((name, name, 'accuracy/robust_top1'))
        elif not name.startswith('pgd'):
            columns += [(f'{name} {key.split("/")[-1]}', name, key) for key in HEADLINE_KEYS if key in metrics]
    rows = [[model] + [results[model].get(ev, {}).get(key) for _, ev, key in columns] for model in results]
    return ['model'] + [c[0] for c in columns], rows


def plot_accuracy_vs_eps(results: Dict[str, Dict[str, Metrics]], eps: Sequence[float], pgd_steps: int,
                         path: str) -> None:
    """Robust accuracy under PGD against ε (ε = 0: clean accuracy), one line per model."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(5, 3.5))
    for model, evaluations in results.items():
        runs = [evaluations[f'pgd{pgd_steps}_eps{e:g}'] for e in eps]
        ax.plot([0, *eps], [runs[0]['accuracy/top1'], *(r['accuracy/robust_top1'] for r in runs)], marker='o',
                label=model)
    ax.set(xlabel='ε (L∞, /255)', ylabel='top-1 accuracy (%)', title=f'PGD-{pgd_steps}')
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    with atomic_write(path) as f:
        fig.savefig(f, format='png', dpi=120)
    plt.close(fig)


def robustness_report(models: Sequence[Tuple[str, str, str]], out_dir: str, eps: Sequence[float] = (1, 2, 4, 8),
                      pgd_steps: int = 10, autoattack_eps: Optional[float] = None,
                      test_sets: Optional[Dict[str, str]] = None, cfg_options: Optional[dict] = None,
                      force: bool = False) -> Dict[str, Dict[str, Metrics]]:
    """Evaluate (or collect) every ``(name, config, checkpoint)`` and write ``robustness_report.{md,json}``
    and ``accuracy_vs_eps.png`` under ``out_dir``; each evaluation's metrics are kept in
    ``<out_dir>/<model>/<evaluation>.json`` and reused on a rerun unless ``force``."""
    eps = sorted(eps)
    plan = evaluation_plan(eps, pgd_steps, autoattack_eps, dict(test_sets or {}))
    results: Dict[str, Dict[str, Metrics]] = {}
    threat_models = {evaluation: ATTACKS.build(with_default_keep(attack, EVALUATION_KEEP)).threat_model()
                     for evaluation, _, attack in plan if attack}
    for name, config, checkpoint in models:
        results[name] = {}
        for evaluation, test_set, attack in plan:
            print_log(f'{name}: {evaluation}', logger='current')
            work_dir = osp.join(out_dir, name, evaluation)
            cfg = evaluation_config(config, checkpoint, work_dir, test_set, attack, cfg_options)
            extra = dict(threat_model=threat_models[evaluation]) if attack else None
            results[name][evaluation] = cached(osp.join(out_dir, name, f'{evaluation}.json'),
                                               evaluation_key(cfg, checkpoint),
                                               partial(run_evaluation, cfg), force, extra)
    header, rows = report_rows(results, eps, pgd_steps)
    table = markdown_table(header, rows)
    atomic_write_text(osp.join(out_dir, 'robustness_report.md'), f'# Robustness report\n\n{table}\n')
    atomic_write_json(osp.join(out_dir, 'robustness_report.json'),
                      dict(models={n: dict(config=c, checkpoint=k) for n, c, k in models}, eps=eps,
                           pgd_steps=pgd_steps, threat_models=threat_models, results=results), indent=2)
    if eps:
        plot_accuracy_vs_eps(results, eps, pgd_steps, osp.join(out_dir, 'accuracy_vs_eps.png'))
    print_log(f'robustness report in {out_dir}:\n{table}', logger='current')
    return results
