"""Print the whole resolved config (``_base_`` files merged, ``--cfg-options`` applied).

Examples::

    python tools/misc/print_config.py configs/mpm/mpm_r50.py
    python tools/misc/print_config.py configs/mpm/mpm_r50.py --cfg-options train_dataloader.batch_size=32 \
        --save work_dirs/mpm_r50_bs32.py
"""
import argparse

from mmengine.config import DictAction

from mmpart.utils import atomic_write_text
from mmpart.utils.config_file import load_config
from mmpart.utils.entry_point import run_tool


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Print the whole config')
    parser.add_argument('config', help='config file')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings, e.g. model.backbone.depth=101 optim_wrapper.optimizer.lr=0.1')
    parser.add_argument('--save', help='also write the resolved config to this .py file')
    args = parser.parse_args()
    if args.save and not args.save.endswith('.py'):
        parser.error(f'--save writes a .py config, got {args.save}')
    return args


def main() -> None:
    args = parse_args()
    cfg = load_config(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    print(cfg.pretty_text)
    if args.save:
        atomic_write_text(args.save, cfg.pretty_text)
        print(f'# written to {args.save}')


if __name__ == '__main__':
    run_tool(main)
