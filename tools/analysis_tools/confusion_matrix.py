"""Confusion matrices and per-class accuracy, clean and under attack, of a classifier on its test set.

Examples::

    python tools/analysis_tools/confusion_matrix.py configs/mpm/mpm_r50.py CKPT --out-dir work_dirs/per_class
    python tools/analysis_tools/confusion_matrix.py configs/mpm/mpm_r50.py CKPT --out-dir work_dirs/per_class \
        --attack pgd --eps 4 --steps 10 --step-size 1
    python tools/test.py configs/mpm/mpm_r50.py CKPT --attack pgd --out preds.pkl    # or from saved predictions:
    python tools/analysis_tools/confusion_matrix.py configs/mpm/mpm_r50.py preds.pkl --out-dir work_dirs/per_class

Writes ``per_class_accuracy.json`` (per-class and overall accuracy, confusion matrices), the plots
``confusion_matrix_clean.png`` / ``confusion_matrix_robust.png`` (mmpretrain's ``ConfusionMatrix.plot``) and
``per_class_accuracy.png``, and prints the per-class table. A checkpoint is evaluated as ``tools/test.py``
does (same ``--attack`` options, config ``test_cfg`` attack used if there is one); its predictions are kept
in ``predictions.pkl``. Under attack a sample counts as its worst case (clean prediction if already wrong).
"""
import argparse
import os
import os.path as osp

import mmengine
from mmengine.config import Config, DictAction
from mmengine.registry import DefaultScope
from mmengine.runner import Runner

from mmpart.analysis import per_class_report, per_class_table, plot_confusion_matrix, plot_per_class
from mmpart.apis import display_class_names
from mmpart.attacks import ATTACK_NAMES
from mmpart.engine.loops.adversarial_test_cfg import configure_adversarial_test, use_test_set
from mmpart.registry import DATASETS
from mmpart.utils import atomic_write_json, register_all_modules
from mmpart.utils.config_file import load_config
from mmpart.utils.entry_point import run_tool
from mmpart.utils.run_config import add_common_args, apply_common_args, use_checkpoint


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Per-class accuracy and confusion matrices, clean and robust')
    parser.add_argument('config', help='config file')
    parser.add_argument('ckpt_or_result', help='checkpoint (.pth) or predictions dumped by tools/test.py --out (.pkl)')
    parser.add_argument('--out-dir', required=True, help='where the JSON and plots go')
    parser.add_argument('--test-set', help='test on the dataloader/evaluator of this config instead')
    parser.add_argument('--include-values', action='store_true', help='write the counts in the matrix plots')
    parser.add_argument('--cmap', default='viridis', help='matplotlib colour map of the matrix plots')
    attack = parser.add_argument_group('attack (as tools/test.py; overrides the config\'s test_cfg.attack)')
    attack.add_argument('--attack', choices=sorted(ATTACK_NAMES), help='also evaluate under this attack')
    attack.add_argument('--eps', type=float, help='radius: L-inf in /255 units (4 = 4/255), L2 in [0, 1] units')
    attack.add_argument('--steps', type=int, help='iterations')
    attack.add_argument('--step-size', type=float, help='step, in the units of --eps')
    attack.add_argument('--attack-cfg', nargs='+', action=DictAction, default={},
                        help='other attack arguments, e.g. random_start=False')
    add_common_args(parser)
    return parser.parse_args()


def evaluate(cfg: Config, args: argparse.Namespace, predictions: str):
    """Run the test as tools/test.py does, dumping the predictions; returns them, the classes, the attack and the
    metrics of the config's evaluator."""
    cfg = apply_common_args(cfg, args)
    cfg = use_checkpoint(cfg, args.ckpt_or_result)
    overrides = dict(eps=args.eps, steps=args.steps, step_size=args.step_size, **args.attack_cfg)
    adversarial = configure_adversarial_test(cfg, args.attack, overrides)
    evaluators = cfg.test_evaluator if isinstance(cfg.test_evaluator, list) else [cfg.test_evaluator]
    cfg.test_evaluator = [*evaluators, dict(type='DumpResults', out_file_path=predictions)]
    runner = Runner.from_cfg(cfg)
    metrics = runner.test()
    classes = runner.test_dataloader.dataset.metainfo.get('classes')
    return mmengine.load(predictions), classes, cfg.test_cfg.attack if adversarial else None, metrics


def dataset_classes(cfg: Config):
    """Class names of the config's test dataset (built without its pipeline, so no image is read)."""
    with DefaultScope.overwrite_default_scope('mmpart'):
        return DATASETS.build({**cfg.test_dataloader.dataset, 'pipeline': []}).metainfo.get('classes')


#: every file the tool writes into --out-dir: what one run does not write is an earlier run's, and is removed
OUTPUTS = ('per_class_accuracy.json', 'per_class_accuracy.png', 'confusion_matrix_clean.png',
           'confusion_matrix_robust.png', 'predictions.pkl')


def main() -> None:
    args = parse_args()
    register_all_modules(init_default_scope=False)
    cfg = load_config(args.config)
    if args.test_set:
        use_test_set(cfg, args.test_set)
    os.makedirs(args.out_dir, exist_ok=True)
    earlier = [name for name in OUTPUTS if osp.exists(osp.join(args.out_dir, name))]
    written = ['per_class_accuracy.json', 'per_class_accuracy.png']
    if args.ckpt_or_result.endswith('.pkl'):
        if args.cfg_options:
            cfg.merge_from_dict(args.cfg_options)
        results, classes, attack, metrics = mmengine.load(args.ckpt_or_result), dataset_classes(cfg), None, None
    else:
        results, classes, attack, metrics = evaluate(cfg, args, osp.join(args.out_dir, 'predictions.pkl'))
        written.append('predictions.pkl')
    if not classes:
        raise ValueError(f'{args.config}: the test dataset has no class names (metainfo "classes")')
    report = per_class_report(results, display_class_names(classes, cfg), attack)
    if metrics is not None:
        report['test_metrics'] = metrics  # what the config's evaluator reported in the same run
    atomic_write_json(osp.join(args.out_dir, 'per_class_accuracy.json'), report, indent=1)
    for name in ('clean', 'robust'):
        if name in report:
            plot_confusion_matrix(report[name]['confusion_matrix'], report['classes'],
                                  osp.join(args.out_dir, f'confusion_matrix_{name}.png'), args.include_values,
                                  args.cmap)
            written.append(f'confusion_matrix_{name}.png')
    plot_per_class(report, osp.join(args.out_dir, 'per_class_accuracy.png'))
    given = osp.abspath(args.ckpt_or_result)  # predictions read from the out dir stay
    stale = [name for name in earlier if name not in written and osp.abspath(osp.join(args.out_dir, name)) != given]
    for name in stale:
        os.remove(osp.join(args.out_dir, name))
    print(per_class_table(report))
    print(f'written to {args.out_dir}/: {", ".join(sorted(written))}')
    replaced = [name for name in earlier if name in written]
    if replaced or stale:
        print(f'from an earlier run in {args.out_dir}/: ' + '; '.join(
            part for part in (f'replaced {", ".join(replaced)}' if replaced else '',
                              f'removed {", ".join(stale)} (not written by this run)' if stale else '') if part))


if __name__ == '__main__':
    run_tool(main)
