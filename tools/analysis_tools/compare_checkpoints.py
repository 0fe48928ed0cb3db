"""Test several checkpoints with their configs' own test loops and print the chosen metrics side by side
(markdown table + JSON): few-shot accuracy of two pre-trainings, bbox mAP of detectors fine-tuned from two
backbones, mIoU of part segmentors.

Example::

    python tools/analysis_tools/compare_checkpoints.py work_dirs/fewshot_compare \\
        --model baseline configs/fewshot/meta-baseline_resnet12_1xb128-100e_partimagenet-pretrain.py B.pth \\
        --model part-aware configs/fewshot/mpm-meta-baseline_resnet12_1xb128-100e_partimagenet-pretrain.py M.pth \\
        --keys fewshot/5way-1shot_accuracy fewshot/5way-1shot_ci95 fewshot/5way-5shot_accuracy fewshot/5way-5shot_ci95

Writes ``OUT_DIR/comparison.{md,json}``; each model's metrics are kept in ``OUT_DIR/<name>.json`` and collected
by a rerun (``--force`` evaluates again).
"""
import argparse

from mmengine.config import DictAction

from mmpart.evaluation.comparison import compare_checkpoints
from mmpart.utils import register_all_modules
from mmpart.utils.entry_point import run_tool


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Test checkpoints and compare their metrics')
    parser.add_argument('out_dir', help='where the metrics and the comparison go')
    parser.add_argument('--model', nargs=3, action='append', required=True, metavar=('NAME', 'CONFIG', 'CKPT'),
                        help='a checkpoint to test with its config (repeat)')
    parser.add_argument('--keys', nargs='+', help='metrics to tabulate (default: all of the first model)')
    parser.add_argument('--title', default='comparison', help='title of the table')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, help='overrides of every config')
    parser.add_argument('--force', action='store_true', help='test again models whose metrics exist')
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    register_all_modules()
    try:
        compare_checkpoints([tuple(m) for m in args.model], args.out_dir, keys=args.keys, title=args.title,
                            cfg_options=args.cfg_options, force=args.force)
    except KeyError as err:
        raise SystemExit(f'error: {err.args[0]}') from None


if __name__ == '__main__':
    run_tool(main)
