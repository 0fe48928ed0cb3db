"""Robustness report: run (or collect) clean, PGD-ε sweep, AutoAttack and distribution-shift evaluations of
checkpoints, check them for gradient masking, then write a markdown report, JSON and an accuracy-vs-ε plot."""
import copy
import json
import logging
import os.path as osp
from functools import partial
from typing import Callable, Dict, List, NamedTuple, Optional, Sequence, Tuple

from mmengine.config import Config
from mmengine.logging import print_log
from mmengine.runner import Runner

from mmpart.attacks import EVALUATION_KEEP, with_default_keep
from mmpart.engine.loops.adversarial_test_cfg import configure_adversarial_test, use_test_set
from mmpart.registry import ATTACKS
from mmpart.utils import atomic_write, atomic_write_json, atomic_write_text
from mmpart.utils.config_file import load_config
from mmpart.utils.run_config import use_checkpoint

from .evaluation_key import evaluation_key
from .masking_checks import TOLERANCE, Check, checks_table, effort_checks, failed, sweep_checks
from .tables import markdown_table

# the headline numbers of a clean evaluation, in table order
HEADLINE_KEYS = ('accuracy/top1', 'imagenet_c/mean_accuracy', 'imagenet_c/mCE', 'shape_bias/shape_bias')
Metrics = Dict[str, float]
#: what one evaluation gives: its metrics and the gradient-masking checks its test loop made
Evaluation = Dict[str, object]


def evaluation_config(config: str, checkpoint: str, work_dir: str, test_set: Optional[str] = None,
                      attack: Optional[dict] = None, cfg_options: Optional[dict] = None) -> Config:
    """The config ``tools/test.py CONFIG CKPT [--test-set SET]`` runs with ``attack`` as ``test_cfg.attack``.
    ``cfg_options`` change ``config`` before ``test_set`` replaces its test dataloader and evaluator."""
    cfg = load_config(config)
    if cfg_options:  # a copy: mmengine's merge pops `_delete_` from the dicts it is given, and the next model needs it
        cfg.merge_from_dict(copy.deepcopy(cfg_options))
    if test_set:
        use_test_set(cfg, test_set)
    if attack:
        cfg.test_cfg = dict(type='AdversarialTestLoop', attack=attack)
        configure_adversarial_test(cfg, None, {})
    cfg = use_checkpoint(cfg, checkpoint)
    cfg.work_dir = work_dir
    cfg.experiment_name = osp.basename(osp.normpath(work_dir))
    return cfg


def run_evaluation(cfg: Config) -> Evaluation:
    """Test with ``cfg`` (from :func:`evaluation_config`) in this process; returns the metrics and the
    gradient-masking checks of an adversarial test loop (none for a clean test)."""
    runner = Runner.from_cfg(cfg)
    metrics = runner.test()
    return dict(metrics=metrics, masking_checks=getattr(runner.test_loop, 'masking_checks', []))


def cached(path: str, key: Dict[str, str], evaluate: Callable[[], Evaluation], force: bool = False,
           extra: Optional[dict] = None) -> Evaluation:
    """The evaluation in ``path`` if a previous run with the same ``key`` wrote it (collect), else ``evaluate()``
    written there with ``key`` and ``extra`` (a stale file, from another checkpoint or config, is re-evaluated)."""
    if osp.isfile(path) and not force:
        with open(path) as f:
            previous = json.load(f)
        if previous.get('key') == key:
            print_log(f'collected {path}', logger='current')
            return dict(metrics=previous['metrics'], masking_checks=previous.get('masking_checks', []))
        changed = sorted(k for k in key if previous.get('key', {}).get(k) != key[k])
        print_log(f'{path} is stale ({", ".join(changed)} changed): evaluating again', logger='current',
                  level=logging.WARNING)
    evaluation = evaluate()
    atomic_write_json(path, dict(key=key, **(extra or {}), **evaluation), indent=2)
    return evaluation


class MaskingPlan(NamedTuple):
    """The evaluations a report adds for its gradient-masking checks (names in the plan, or None)."""

    large_eps: Optional[str]
    effort: Optional[str]
    effort_base: Optional[str]
    square: Optional[str]


def masking_evaluations(eps: Sequence[float], pgd_steps: int, large_eps: Optional[float], effort: bool,
                        check_eps: Optional[float], square_queries: Optional[int]
                        ) -> Tuple[List[Tuple[str, None, dict]], MaskingPlan]:
    """PGD at a large ε (robust accuracy must reach ~0), PGD with twice the steps and 2 restarts at ``check_eps``
    (default: the middle radius of the sweep; must neither raise nor much lower robust accuracy) and the
    worst case of PGD and Square at ``check_eps`` (Square must not break what PGD left)."""
    plan, names = [], dict(large_eps=None, effort=None, effort_base=None, square=None)
    if large_eps is not None and eps and large_eps not in eps:
        names['large_eps'] = f'pgd{pgd_steps}_eps{large_eps:g}'
        plan.append((names['large_eps'], None, dict(type='PGD', eps=float(large_eps), steps=pgd_steps)))
    check_eps = check_eps if check_eps is not None else (eps[len(eps) // 2] if eps else None)
    if effort and check_eps is not None:
        names['effort_base'] = f'pgd{pgd_steps}_eps{check_eps:g}'
        names['effort'] = f'pgd{2 * pgd_steps}_r2_eps{check_eps:g}'
        plan.append((names['effort'], None, dict(type='PGD', eps=float(check_eps), steps=2 * pgd_steps, restarts=2)))
    if square_queries and check_eps is not None:
        names['square'] = f'pgd{pgd_steps}+square{square_queries}_eps{check_eps:g}'
        plan.append((names['square'], None, dict(
            type='MultiAttack', names=['pgd', 'square'],
            attacks=[dict(type='PGD', eps=float(check_eps), steps=pgd_steps),
                     dict(type='Square', eps=float(check_eps), n_queries=square_queries)])))
    return plan, MaskingPlan(**names)


def evaluation_plan(eps: Sequence[float], pgd_steps: int, autoattack_eps: Optional[float],
                    test_sets: Dict[str, str]) -> List[Tuple[str, Optional[str], Optional[dict]]]:
    """``(name, test_set, attack)`` of every evaluation of one checkpoint, besides those of the masking checks."""
    plan = [(f'pgd{pgd_steps}_eps{e:g}', None, dict(type='PGD', eps=float(e), steps=pgd_steps)) for e in eps]
    if autoattack_eps is not None:
        plan.append((f'autoattack_eps{autoattack_eps:g}', None, dict(type='AutoAttack', eps=float(autoattack_eps))))
    plan += [(name, path, None) for name, path in test_sets.items()]
    return plan


def report_rows(results: Dict[str, Dict[str, Metrics]], eps: Sequence[float], pgd_steps: int,
                checks: Optional[Dict[str, List[Check]]] = None) -> Tuple[List[str], List[list]]:
    """Header and one row per model: clean, robust per evaluation (ε sweep, AutoAttack, masking checks), the
    headline of each test set, and how many gradient-masking checks failed."""
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
    if checks is None:
        return ['model'] + [c[0] for c in columns], rows
    for model, row in zip(results, rows):
        flagged = failed(checks[model])
        row.append(f'FLAGGED ({len(flagged)})' if flagged else 'ok')
    return ['model'] + [c[0] for c in columns] + ['masking checks'], rows


def per_attack_tables(results: Dict[str, Dict[str, Metrics]]) -> List[str]:
    """One markdown table per evaluation of several attacks (AutoAttack, a MultiAttack): robust accuracy after each
    attack of the cascade (``after``) or under each attack alone (``by``), one row per model."""
    tables = []
    evaluations = list(next(iter(results.values())))
    for evaluation in evaluations:
        keys = [k for k in results[next(iter(results))].get(evaluation, {}) if k.startswith('accuracy/robust_top1_')]
        if not keys:
            continue
        header = ['model'] + [k[len('accuracy/robust_top1_'):].replace('_', ' ', 1) for k in keys] + ['worst case']
        rows = [[model] + [results[model].get(evaluation, {}).get(k) for k in keys] +
                [results[model].get(evaluation, {}).get('accuracy/robust_top1')] for model in results]
        tables.append(f'### {evaluation}: per attack (%)\n\n{markdown_table(header, rows)}')
    return tables


def model_checks(evaluations: Dict[str, Evaluation], eps: Sequence[float], pgd_steps: int, masking: MaskingPlan,
                 large_eps: Optional[float], tolerance: float) -> List[Check]:
    """Every gradient-masking check of one model: the ε sweep, more effort, and each evaluation's own checks (named
    ``<evaluation>: <check>``)."""
    metrics = {name: evaluation['metrics'] for name, evaluation in evaluations.items()}
    checks: List[Check] = []
    sweep = [metrics[f'pgd{pgd_steps}_eps{e:g}'] for e in eps]
    if sweep:
        large = metrics.get(masking.large_eps, {}).get('accuracy/robust_top1') if masking.large_eps else None
        checks += sweep_checks(eps, sweep[0]['accuracy/top1'], [m['accuracy/robust_top1'] for m in sweep],
                               large_eps if large is not None else None, large, tolerance)
    if masking.effort:
        checks += effort_checks(metrics[masking.effort_base]['accuracy/robust_top1'],
                                metrics[masking.effort]['accuracy/robust_top1'],
                                f'2x steps and 2 restarts ({masking.effort})', tolerance)
    for name, evaluation in evaluations.items():
        checks += [dict(c, check=f'{name}: {c["check"]}') for c in evaluation.get('masking_checks') or []]
    return checks


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
                      force: bool = False, large_eps: Optional[float] = 64, effort: bool = True,
                      check_eps: Optional[float] = None, square_queries: Optional[int] = None,
                      tolerance: float = TOLERANCE) -> Dict[str, Dict[str, Metrics]]:
    """Evaluate (or collect) every ``(name, config, checkpoint)`` and write ``robustness_report.{md,json}``
    and ``accuracy_vs_eps.png`` under ``out_dir``; each evaluation is kept in ``<out_dir>/<model>/<evaluation>.json``
    and reused on a rerun unless ``force``.

    Besides the ε sweep, AutoAttack and the test sets, the report runs the evaluations of its gradient-masking
    checks (:func:`masking_evaluations`: ``large_eps``, ``effort``, ``square_queries``; None / False skip them) and
    flags, per model, every check that fails (:mod:`mmpart.evaluation.masking_checks`, ``tolerance`` in points).
    Returns the metrics per model and evaluation."""
    eps = sorted(eps)
    plan = evaluation_plan(eps, pgd_steps, autoattack_eps, dict(test_sets or {}))
    extra_plan, masking = masking_evaluations(eps, pgd_steps, large_eps, effort, check_eps, square_queries)
    plan[len(eps):len(eps)] = extra_plan
    evaluations: Dict[str, Dict[str, Evaluation]] = {}
    threat_models = {evaluation: ATTACKS.build(with_default_keep(attack, EVALUATION_KEEP)).threat_model()
                     for evaluation, _, attack in plan if attack}
    for name, config, checkpoint in models:
        evaluations[name] = {}
        for evaluation, test_set, attack in plan:
            print_log(f'{name}: {evaluation}', logger='current')
            work_dir = osp.join(out_dir, name, evaluation)
            cfg = evaluation_config(config, checkpoint, work_dir, test_set, attack, cfg_options)
            extra = dict(threat_model=threat_models[evaluation]) if attack else None
            evaluations[name][evaluation] = cached(osp.join(out_dir, name, f'{evaluation}.json'),
                                                   evaluation_key(cfg, checkpoint),
                                                   partial(run_evaluation, cfg), force, extra)
    results = {name: {ev: out['metrics'] for ev, out in runs.items()} for name, runs in evaluations.items()}
    checks = {name: model_checks(runs, eps, pgd_steps, masking, large_eps, tolerance)
              for name, runs in evaluations.items()}
    header, rows = report_rows(results, eps, pgd_steps, checks)
    table = markdown_table(header, rows)
    sections = [f'# Robustness report\n\n{table}', *per_attack_tables(results), '## Gradient-masking checks']
    if not masking.square and autoattack_eps is None:
        sections.append('Black-box vs white-box: not run (pass --autoattack-eps or --square-queries).')
    sections += [f'### {name}\n\n{checks_table(model)}' for name, model in checks.items()]
    atomic_write_text(osp.join(out_dir, 'robustness_report.md'), '\n\n'.join(sections) + '\n')
    atomic_write_json(osp.join(out_dir, 'robustness_report.json'),
                      dict(models={n: dict(config=c, checkpoint=k) for n, c, k in models}, eps=eps,
                           pgd_steps=pgd_steps, threat_models=threat_models, results=results,
                           masking_checks=checks), indent=2)
    if eps:
        plot_accuracy_vs_eps(results, eps, pgd_steps, osp.join(out_dir, 'accuracy_vs_eps.png'))
    print_log(f'robustness report in {out_dir}:\n{table}', logger='current')
    for name, model in checks.items():
        for flagged in failed(model):
            print_log(f'{name}: gradient-masking check failed: {flagged["check"]}: {flagged["detail"]}',
                      logger='current', level=logging.WARNING)
    return results
