"""Draw GT vs predicted part masks for a part segmentor, a part detector or a classifier's part bypass (e.g.
MPM); one PNG per image: ground truth | prediction | legend of the part names. Small images are upscaled
(masks by pixel repetition) and every part id keeps its colour across images and runs.

Example::

    python tools/analysis_tools/visualize_parts.py configs/partseg/fpn_r50_4xb4-40k_pinpp-512x512.py CKPT \
        --out-dir work_dirs/vis --num 16
"""
import argparse
import os
import os.path as osp

from mmengine.config import DictAction
from mmengine.registry import DefaultScope

from mmpart.apis import init_model, object_names_of_config
from mmpart.registry import DATASETS
from mmpart.utils import register_all_modules
from mmpart.utils.config_file import load_config
from mmpart.utils.entry_point import run_tool
from mmpart.visualization import MIN_SIDE, draw_parts, part_model_kind, predict_parts, readable_class_names


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Draw GT vs predicted part masks')
    parser.add_argument('config', help='config of a part segmentor, part detector or classifier with a part bypass')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--out-dir', required=True, help='where the PNGs go')
    parser.add_argument('--split', choices=['train', 'val', 'test'], default='test',
                        help='dataset of the config to draw from (the classifier configs have masks in "train")')
    parser.add_argument('--num', type=int, default=8, help='number of images (the first ones of the split)')
    parser.add_argument('--score-thr', type=float, default=0.3, help='detector score threshold')
    parser.add_argument('--alpha', type=float, default=0.6, help='mask opacity')
    parser.add_argument('--min-side', type=int, default=MIN_SIDE, help='upscale images shorter than this (px)')
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, help='override config settings')
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    register_all_modules()
    cfg = load_config(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    model = init_model(cfg, args.checkpoint, device=args.device)
    with DefaultScope.overwrite_default_scope('mmpart'):
        dataset = DATASETS.build(cfg[f'{args.split}_dataloader'].dataset)
    kind = part_model_kind(model)
    meta = dataset.metainfo
    classes = meta.get('part_classes') if kind == 'bypass' else meta['classes']
    if classes is None:
        raise ValueError(f'{args.config}: the {args.split} dataset has no part names (metainfo "part_classes")')
    classes = readable_class_names(classes, object_names_of_config(cfg))
    os.makedirs(args.out_dir, exist_ok=True)
    for index in range(min(args.num, len(dataset))):
        data = dataset[index]
        sample = predict_parts(model, kind, [data])[0]
        name = osp.splitext(osp.basename(dataset.get_data_info(index)['img_path']))[0]
        draw_parts(kind, sample, data['inputs'], classes, osp.join(args.out_dir, f'{name}.png'), args.score_thr,
                   args.alpha, args.min_side)
    print(f'{min(args.num, len(dataset))} images drawn to {args.out_dir}')


if __name__ == '__main__':
    run_tool(main)
