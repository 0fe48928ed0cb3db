"""FLOPs and parameters of models as deployed and, for MPM, of the training graph with the part bypass.

Examples::

    # deployed MPM = plain classifier, side by side with the MPM training graph, 224²
    python tools/analysis_tools/get_flops.py configs/mpm/mpm_r50.py configs/baseline/baseline_r50.py
    python tools/analysis_tools/get_flops.py configs/mpm/mpm_r18_synthetic.py --out work_dirs/flops.json --show-table

Counts come from mmengine's analyzers (``mmengine.analysis``: fvcore's counters, one FLOP per
multiply-add, as mmpretrain's ``get_flops.py`` reports them); the data preprocessor is not counted, and the
training graph leaves out the losses and the attack of adversarial training (PGD-k adds k forward and
backward passes of the deployed graph). The input size defaults to the crop of the config's test pipeline.
"""
import argparse
import os.path as osp
from typing import Dict

from mmengine.config import DictAction

from mmpart.analysis import complexity_table, input_size_from_pipeline, model_complexity
from mmpart.apis import init_model
from mmpart.utils import atomic_write_json, atomic_write_text
from mmpart.utils.config_file import load_config
from mmpart.utils.entry_point import run_tool


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='FLOPs and parameters of models (deployed, and MPM training)')
    parser.add_argument('configs', nargs='+', help='config files (one table row per graph of each)')
    parser.add_argument('--shape', type=int, nargs='+',
                        help='input size: H W or one side (default: the test pipeline\'s crop, else 224)')
    parser.add_argument('--out', help='also write the numbers to this JSON file (and the table next to it, .md)')
    parser.add_argument('--show-table', action='store_true', help='print the per-module table of each graph')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, help='override settings of every config')
    args = parser.parse_args()
    if args.shape is not None and len(args.shape) not in (1, 2):
        parser.error(f'--shape takes H W or one side, got {args.shape}')
    return args


def complexity_of(config: str, args: argparse.Namespace) -> list:
    """The graphs of one config at ``--shape`` or its test pipeline's input size."""
    cfg = load_config(config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    if args.shape:
        height, width = (args.shape * 2)[:2]
    else:
        height, width = input_size_from_pipeline(cfg.get('test_dataloader', {}).get('dataset', {}).get('pipeline', []))
    model = init_model(cfg)
    results = model_complexity(model, (3, height, width), with_table=args.show_table)
    for result in results if args.show_table else []:
        print(f'{config}, {result.graph}:{result.table}\n')
    return results, getattr(getattr(model, 'part_head', None), 'num_classes', None)


def part_classes_note(part_classes: Dict[str, int]) -> str:
    """The part head's class count of each MPM config: it sizes the training graph, and PIN++ configs read it from
    the converter's part_ids.json where that exists (else their default, the authors' 3,311)."""
    return '\n'.join(f'{config}: part head of {count:,} classes (background + parts)'
                     for config, count in part_classes.items())


def main() -> None:
    args = parse_args()
    results, part_classes = {}, {}
    for config in args.configs:
        results[config], count = complexity_of(config, args)
        if count is not None:
            part_classes[config] = count
    table = complexity_table(results)
    note = part_classes_note(part_classes)
    print(table + (f'\n\n{note}' if note else ''))
    if args.out:
        atomic_write_json(args.out, [dict(config=config, part_classes=part_classes.get(config),
                                          graphs=[r.to_dict() for r in graphs])
                                     for config, graphs in results.items()], indent=2)
        atomic_write_text(osp.splitext(args.out)[0] + '.md', table + (f'\n\n{note}\n' if note else '\n'))
        print(f'written to {args.out} and {osp.splitext(args.out)[0]}.md')

if __name__ == '__main__':
    run_tool(main)
