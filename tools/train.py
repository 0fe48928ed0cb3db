"""Train a model from a config: classifiers, MPM, segmentors and detectors alike.

Examples::

    python tools/train.py configs/mpm/mpm_r50.py --amp
    tools/dist_train.sh configs/mpm/mpm_r50.py 8 --resume
"""
import argparse
import os

from mmengine.registry import RUNNERS
from mmengine.runner import Runner

from mmpart.utils import register_all_modules
from mmpart.utils.config_file import load_config
from mmpart.utils.distributed import setup_cpu_distributed
from mmpart.utils.entry_point import run_tool
from mmpart.utils.run_config import add_common_args, apply_common_args, apply_train_args


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Train a model')
    parser.add_argument('config', help='config file')
    parser.add_argument('--resume', nargs='?', const='auto',
                        help='resume from CKPT, or from the latest checkpoint of the work dir if no CKPT')
    parser.add_argument('--amp', action='store_true', help='automatic mixed precision')
    parser.add_argument('--auto-scale-lr', action='store_true', help='scale lr by the actual batch size')
    parser.add_argument('--no-validate', action='store_true', help='no validation during training')
    add_common_args(parser)
    args = parser.parse_args()
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def main() -> None:
    args = parse_args()
    register_all_modules(init_default_scope=False)
    cfg = load_config(args.config)
    cfg = apply_train_args(apply_common_args(cfg, args), args)
    setup_cpu_distributed(cfg, args.launcher)
    runner = RUNNERS.build(cfg) if 'runner_type' in cfg else Runner.from_cfg(cfg)
    runner.train()


if __name__ == '__main__':
    run_tool(main)
