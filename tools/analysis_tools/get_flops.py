"""FLOPs and parameters of a model as deployed and, for MPM, of the training graph with the part bypass.

Examples::

    python tools/analysis_tools/get_flops.py configs/mpm/mpm_r50.py              # deployed | training, 224²
    python tools/analysis_tools/get_flops.py configs/baseline/baseline_r50.py    # same deployed numbers
    python tools/analysis_tools/get_flops.py configs/mpm/mpm_r18_synthetic.py --out work_dirs/flops.json --show-table

Counts come from mmengine's analyzers (``mmengine.analysis``: fvcore's counters, one FLOP per
multiply-add, as mmpretrain's ``get_flops.py`` reports them); the data preprocessor is not counted, and the
training graph leaves out the losses and the attack of adversarial training (PGD-k adds k forward and
backward passes of the deployed graph). The input size defaults to the crop of the config's test pipeline.
"""
import argparse

from mmengine.config import Config, DictAction

from mmpart.analysis import complexity_table, input_size_from_pipeline, model_complexity
from mmpart.apis import init_model
from mmpart.utils import atomic_write_json


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='FLOPs and parameters of a model (deployed, and MPM training)')
    parser.add_argument('config', help='config file')
    parser.add_argument('--shape', type=int, nargs='+',
                        help='input size: H W or one side (default: the test pipeline\'s crop, else 224)')
    parser.add_argument('--out', help='also write the numbers to this JSON file')
    parser.add_argument('--show-table', action='store_true', help='print the per-module table of each graph')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, help='override config settings')
    args = parser.parse_args()
    if args.shape is not None and len(args.shape) not in (1, 2):
        parser.error(f'--shape takes H W or one side, got {args.shape}')
    return args


def main() -> None:
    args = parse_args()
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    if args.shape:
        height, width = (args.shape * 2)[:2]
    else:
        height, width = input_size_from_pipeline(cfg.get('test_dataloader', {}).get('dataset', {}).get('pipeline', []))
    results = model_complexity(init_model(cfg), (3, height, width), with_table=args.show_table)
    for result in results if args.show_table else []:
        print(f'{result.graph}:{result.table}\n')
    print(f'{args.config}\n{complexity_table(results)}')
    if args.out:
        atomic_write_json(args.out, dict(config=args.config, graphs=[r.to_dict() for r in results]), indent=2)
        print(f'written to {args.out}')


if __name__ == '__main__':
    main()
