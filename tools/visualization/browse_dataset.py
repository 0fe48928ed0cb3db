"""Draw dataset samples as the model receives them (after the pipeline): the image with its part mask (PIN++
classification and mmseg views) or part boxes and masks (COCO views), the part names in a legend beside it and
the object class; to files or a window.

Examples::

    python tools/visualization/browse_dataset.py configs/mpm/mpm_r18_synthetic.py --phase train --show-number 8 \
        --output-dir work_dirs/browse
    python tools/visualization/browse_dataset.py configs/partdet/mask-rcnn_r18_fpn_synthetic-parts.py --phase val \
        --show
"""
import argparse
import os.path as osp

from mmengine.config import DictAction
from mmengine.registry import DefaultScope
from mmengine.utils import ProgressBar
from mmengine.visualization import Visualizer

from mmpart.apis import object_names_of_config
from mmpart.registry import DATASETS
from mmpart.utils import register_all_modules
from mmpart.utils.config_file import load_config
from mmpart.utils.entry_point import run_tool
from mmpart.visualization import MIN_SIDE, sample_figure, write_png


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Draw dataset samples after the pipeline')
    parser.add_argument('config', help='config file')
    parser.add_argument('--phase', choices=['train', 'val', 'test'], default='train',
                        help='which dataloader\'s dataset (and pipeline) to draw')
    parser.add_argument('--show-number', type=int, default=20, help='number of samples (the first ones)')
    parser.add_argument('--output-dir', help='write one PNG per sample here')
    parser.add_argument('--show', action='store_true', help='show each picture in a window')
    parser.add_argument('--show-interval', type=float, default=0, help='seconds per picture in the window (0: wait)')
    parser.add_argument('--min-side', type=int, default=MIN_SIDE, help='upscale images shorter than this (px)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, help='override config settings')
    args = parser.parse_args()
    if not args.output_dir and not args.show:
        parser.error('give --output-dir and/or --show')
    return args


def main() -> None:
    args = parse_args()
    register_all_modules()
    cfg = load_config(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    with DefaultScope.overwrite_default_scope('mmpart'):
        dataset = DATASETS.build(cfg[f'{args.phase}_dataloader'].dataset)
    object_names = object_names_of_config(cfg)
    number = min(args.show_number, len(dataset))
    progress = ProgressBar(number)
    for index in range(number):
        packed = dataset[index]
        picture = sample_figure(packed, dataset.metainfo, object_names, args.min_side)
        name = osp.splitext(osp.basename(packed['data_samples'].img_path))[0]
        if args.output_dir:
            write_png(osp.join(args.output_dir, f'{index:04d}_{name}.png'), picture)
        if args.show:
            Visualizer.get_instance('mmpart_browse_dataset').show(picture, win_name=name,
                                                                 wait_time=args.show_interval)
        progress.update()
    if args.output_dir:
        print(f'\n{number} samples of the {args.phase} set drawn to {args.output_dir}')


if __name__ == '__main__':
    run_tool(main)
