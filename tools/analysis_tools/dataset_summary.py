"""Print and save statistics of a config's classification dataset with part masks.

Example::

    python tools/analysis_tools/dataset_summary.py configs/mpm/mpm_r18_synthetic.py --out summary.json
"""
import argparse

from mmengine.config import DictAction
from mmengine.registry import init_default_scope

from mmpart.datasets.dataset_summary import format_summary_table, summarize_part_dataset
from mmpart.registry import DATASETS
from mmpart.utils import atomic_write_json, register_all_modules
from mmpart.utils.config_file import load_config
from mmpart.utils.entry_point import run_tool


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Statistics of a dataset with part masks')
    parser.add_argument('config', help='config file')
    parser.add_argument('--split', choices=['train', 'val', 'test'], default='train', help='which dataloader')
    parser.add_argument('--out', help='write the summary as JSON here')
    parser.add_argument('--no-masks', action='store_true', help='do not read the masks')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, help='override config settings')
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    cfg = load_config(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    register_all_modules(init_default_scope=False)
    init_default_scope(cfg.get('default_scope', 'mmpart'))
    dataset = DATASETS.build(cfg[f'{args.split}_dataloader'].dataset)
    summary = summarize_part_dataset(dataset, read_masks=not args.no_masks)
    print('\n' + format_summary_table(summary))
    if args.out:
        atomic_write_json(args.out, summary, indent=1)
        print(f'summary: {args.out}')


if __name__ == '__main__':
    run_tool(main)
