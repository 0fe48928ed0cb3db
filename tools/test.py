"""Test a checkpoint with a config's test dataloader and evaluator, optionally under attack.

Examples::

    python tools/test.py configs/mpm/mpm_r50.py work_dirs/mpm_r50/epoch_80.pth
    python tools/test.py configs/mpm/mpm_r50.py work_dirs/mpm_r50/epoch_80.pth --attack pgd --eps 4 --steps 10
    tools/dist_test.sh configs/mpm/mpm_r50.py work_dirs/mpm_r50/epoch_80.pth 8 --attack autoattack \
        --test-set configs/_base_/datasets/imagenet_val_robustbench5k.py
    python tools/test.py configs/mpm/mpm_r50.py work_dirs/mpm_r50/epoch_80.pth --attack pgd,cw,apgd \
        --out work_dirs/mpm_r50/per_sample.json
    python tools/test.py configs/mpm/mpm_r50.py work_dirs/mpm_r50/epoch_80.pth \
        --test-set configs/_base_/datasets/imagenet_c.py

With ``--attack`` (or a config whose ``test_cfg`` is an ``AdversarialTestLoop``) one run reports clean
and robust accuracy side by side, the gradient-masking checks, and writes ``<work_dir>/<timestamp>/robustness.json``
and ``per_sample.json``. A comma-separated ``--attack`` list runs the attacks in turn on the samples still robust
(per-sample worst case, plus the number after each attack; ``--attack-cfg individual=True`` runs each attack on every
sample for its own number). A killed run resumes when the same command is run again (``--no-resume`` to start
over). Checkpoints
saved with mmengine's ``EMAHook`` hold the EMA weights in ``state_dict`` (the raw ones go to
``ema_state_dict``), so they are what is evaluated.
"""
import argparse
import os

from mmengine.config import DictAction
from mmengine.registry import RUNNERS
from mmengine.runner import Runner

from mmpart.attacks import ATTACK_NAMES, attack_names
from mmpart.engine.loops.adversarial_test_cfg import configure_adversarial_test, use_test_set
from mmpart.utils import register_all_modules
from mmpart.utils.config_file import load_config
from mmpart.utils.distributed import setup_cpu_distributed
from mmpart.utils.entry_point import run_tool
from mmpart.utils.run_config import add_common_args, apply_common_args, use_checkpoint


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Test a checkpoint, optionally under attack')
    parser.add_argument('config', help='config file')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--out', help='dump the predictions to this pickle file (.pkl), or under attack the '
                        'per-sample results to this JSON file (.json)')
    parser.add_argument('--test-set', help='test on the dataloader/evaluator of this config instead, e.g. '
                        'configs/_base_/datasets/imagenet_c.py')
    attack = parser.add_argument_group('attack (overrides the config\'s test_cfg.attack)')
    attack.add_argument('--attack', metavar='|'.join(sorted(ATTACK_NAMES)),
                        help='evaluate robust accuracy under this attack, or the per-sample worst case under a '
                        'comma-separated list of them (e.g. pgd,cw,apgd)')
    attack.add_argument('--eps', type=float, help='radius: L-inf in /255 units (4 = 4/255), L2/L1 in [0, 1] units')
    attack.add_argument('--steps', type=int, help='iterations')
    attack.add_argument('--step-size', type=float, help='step, in the units of --eps')
    attack.add_argument('--norm', choices=['linf', 'l2', 'l1'], help='threat model (l1: apgd, autoattack)')
    attack.add_argument('--restarts', type=int, help='random restarts')
    attack.add_argument('--eot-iter', type=int, help='forward passes averaged per gradient (EoT, for models with '
                        'test-time randomness; pgd, cw, apgd)')
    attack.add_argument('--no-resume', action='store_true', help='do not resume from (or save) per-sample results')
    attack.add_argument('--attack-cfg', nargs='+', action=DictAction, default={},
                        help='other attack arguments, e.g. random_start=False loss=margin')
    add_common_args(parser)
    args = parser.parse_args()
    if args.attack is not None:
        try:
            attack_names(args.attack)
        except ValueError as error:
            parser.error(f'--attack: {error}')
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def main() -> None:
    args = parse_args()
    register_all_modules(init_default_scope=False)
    cfg = load_config(args.config)
    if args.test_set:
        use_test_set(cfg, args.test_set)
    cfg = apply_common_args(cfg, args)
    cfg = use_checkpoint(cfg, args.checkpoint)
    overrides = dict(eps=args.eps, steps=args.steps, step_size=args.step_size, norm=args.norm,
                     restarts=args.restarts, eot_iter=args.eot_iter, **args.attack_cfg)
    adversarial = configure_adversarial_test(cfg, args.attack, overrides)
    if adversarial and args.no_resume:
        cfg.test_cfg.resume = False
    if args.out and args.out.endswith('.json'):
        if not adversarial:
            raise ValueError(f'--out {args.out}: per-sample JSON results need --attack (or an AdversarialTestLoop); '
                             'use a .pkl file to dump the predictions')
        cfg.test_cfg.per_sample_file = args.out
    elif args.out:
        cfg.test_evaluator = [*cfg.test_evaluator] if isinstance(cfg.test_evaluator, list) else [cfg.test_evaluator]
        cfg.test_evaluator.append(dict(type='DumpResults', out_file_path=args.out))
    setup_cpu_distributed(cfg, args.launcher)
    runner = RUNNERS.build(cfg) if 'runner_type' in cfg else Runner.from_cfg(cfg)
    runner.test()


if __name__ == '__main__':
    run_tool(main)
