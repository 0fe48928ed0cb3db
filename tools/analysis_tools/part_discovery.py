"""Part discovery by Deep Feature Factorization (DFF) of a classifier's backbone features, scored against the
GT part masks: per class and mean matched mIoU (Hungarian on IoU), NMI and ARI over foreground pixels, as
markdown tables and JSON, plus pictures (image | discovered parts | GT parts).

Examples::

    python tools/analysis_tools/part_discovery.py configs/mpm/mpm_r50.py CKPT --k 4 --wnid n01440764 \
        --out-dir work_dirs/part_discovery
    # compare backbones on the same images (the dataset of the first config, or --dataset-config)
    python tools/analysis_tools/part_discovery.py --model baseline configs/baseline/baseline_r18_synthetic.py B.pth \
        --model mpm configs/mpm/mpm_r18_synthetic.py M.pth --k 4 --img-size 128 --out-dir work_dirs/part_discovery
"""
import argparse

from mmengine.config import DictAction

from mmpart.analysis.part_discovery_report import part_discovery_report
from mmpart.utils import register_all_modules
from mmpart.utils.entry_point import run_tool


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='DFF part discovery of classifier backbones, scored against GT parts')
    parser.add_argument('config', nargs='?', help='config of a classifier (e.g. MPM or its baseline)')
    parser.add_argument('checkpoint', nargs='?', help='its checkpoint')
    parser.add_argument('--model', nargs=3, action='append', default=[], metavar=('NAME', 'CONFIG', 'CHECKPOINT'),
                        help='a model to compare (repeat); instead of, or besides, CONFIG CHECKPOINT')
    parser.add_argument('--out-dir', required=True, help='where part_discovery.{json,md} and vis/ go')
    parser.add_argument('--k', type=int, default=4, help='number of NMF factors (discovered parts)')
    parser.add_argument('--wnid', nargs='+', help='classes to analyse (default: every class of the split)')
    parser.add_argument('--split', choices=['train', 'val', 'test'], default='train',
                        help='dataloader whose dataset (with part masks) is used')
    parser.add_argument('--dataset-config', help='take the dataset from this config (default: the first model\'s)')
    parser.add_argument('--num-images', type=int, default=20, help='images per class')
    parser.add_argument('--img-size', type=int, default=224, help='images are resized to this square size')
    parser.add_argument('--stage', type=int, help='backbone stage to factorise (default: the config\'s last output)')
    parser.add_argument('--num-vis', type=int, default=4, help='pictures per class and model')
    parser.add_argument('--seed', type=int, default=0, help='NMF seed')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, help='override settings of every config')
    args = parser.parse_args()
    if (args.config is None) != (args.checkpoint is None):
        parser.error('give CONFIG and CHECKPOINT together')
    if args.config is None and not args.model:
        parser.error('give CONFIG CHECKPOINT or at least one --model NAME CONFIG CHECKPOINT')
    return args


def main() -> None:
    args = parse_args()
    register_all_modules()
    models = ([('model', args.config, args.checkpoint)] if args.config else []) + [tuple(m) for m in args.model]
    try:
        part_discovery_report(models, args.out_dir, num_parts=args.k, wnids=args.wnid, split=args.split,
                              num_images=args.num_images, img_size=args.img_size, stage=args.stage,
                              num_vis=args.num_vis, seed=args.seed, dataset_config=args.dataset_config,
                              cfg_options=args.cfg_options)
    except ValueError as err:
        raise SystemExit(f'error: {err}') from None


if __name__ == '__main__':
    run_tool(main)
