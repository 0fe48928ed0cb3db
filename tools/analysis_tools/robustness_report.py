"""Robustness report of one or more checkpoints: clean and PGD accuracy over ε, AutoAttack (with its per-attack
breakdown), clean accuracy on distribution-shift sets (ImageNet-C, -A, -R, -Sketch, -V2, cue-conflict shape bias),
and gradient-masking checks.

Example::

    python tools/analysis_tools/robustness_report.py work_dirs/report \\
        --model mpm configs/mpm/mpm_r50.py work_dirs/mpm_r50/epoch_80.pth \\
        --model baseline configs/baseline/baseline_r50.py work_dirs/baseline_r50/epoch_80.pth \\
        --eps 1 2 4 8 --autoattack-eps 4 \\
        --test-set imagenet_c=configs/_base_/datasets/imagenet_c.py imagenet_a=configs/_base_/datasets/imagenet_a.py

Writes ``OUT_DIR/robustness_report.{md,json}`` and ``OUT_DIR/accuracy_vs_eps.png``. The gradient-masking checks
(robust accuracy falls with ε and reaches ~0 at ``--large-eps``; twice the PGD steps with 2 restarts at
``--check-eps`` neither raise nor much lower it; Square, from AutoAttack or ``--square-queries``, breaks nothing PGD
left; and each evaluation's own checks) are tabulated per model, and every failure is flagged in the table, the
markdown and the log. Each evaluation is kept
in ``OUT_DIR/<model>/<evaluation>.json`` with the SHA-256 of its resolved config and of the checkpoint file; a
rerun collects those whose config and checkpoint are unchanged and evaluates the others again (``--force``
re-runs all). PGD and AutoAttack run on each config's test set (e.g. IN-1K val; for the RobustBench 5,000
images pass ``--cfg-options`` or use a config whose test set is
``configs/_base_/datasets/imagenet_val_robustbench5k.py``).
"""
import argparse

from mmengine.config import DictAction

from mmpart.evaluation.report import robustness_report
from mmpart.utils import register_all_modules
from mmpart.utils.entry_point import run_tool


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Robustness report of checkpoints')
    parser.add_argument('out_dir', help='where results, the report and the plot go')
    parser.add_argument('--model', nargs=3, action='append', required=True, metavar=('NAME', 'CONFIG', 'CKPT'),
                        help='a checkpoint to evaluate (repeat for several)')
    parser.add_argument('--eps', type=float, nargs='*', default=[1, 2, 4, 8], help='PGD L-inf radii in /255 units')
    parser.add_argument('--pgd-steps', type=int, default=10, help='PGD steps (step 2.5 eps / steps)')
    parser.add_argument('--autoattack-eps', type=float, help='also run AutoAttack (standard, L-inf) at this eps')
    parser.add_argument('--test-set', nargs='+', action=DictAction, default={}, metavar='NAME=CONFIG',
                        help='clean evaluations on other test sets, e.g. '
                        'imagenet_c=configs/_base_/datasets/imagenet_c.py')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='overrides of the model configs (a --test-set then replaces their test loader/evaluator)')
    parser.add_argument('--force', action='store_true', help='re-run evaluations whose results exist')
    checks = parser.add_argument_group('gradient-masking checks')
    checks.add_argument('--large-eps', type=float, default=64,
                        help='PGD at this L-inf radius must reach ~0 robust accuracy (a negative value skips it)')
    checks.add_argument('--check-eps', type=float,
                        help='radius of the more-effort and Square checks (default: the middle --eps)')
    checks.add_argument('--no-effort-check', action='store_true',
                        help='skip PGD with twice the steps and 2 restarts')
    checks.add_argument('--square-queries', type=int,
                        help='also run the worst case of PGD and Square (this many queries) at --check-eps')
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    register_all_modules()
    robustness_report([tuple(m) for m in args.model], args.out_dir, eps=args.eps, pgd_steps=args.pgd_steps,
                      autoattack_eps=args.autoattack_eps, test_sets=args.test_set, cfg_options=args.cfg_options,
                      force=args.force, large_eps=args.large_eps if args.large_eps >= 0 else None,
                      effort=not args.no_effort_check, check_eps=args.check_eps, square_queries=args.square_queries)


if __name__ == '__main__':
    run_tool(main)
