"""Part discovery by Deep Feature Factorization (DFF) of a classifier's backbone features, scored against the
GT part masks, as markdown tables and JSON, plus pictures (image | discovered parts | GT parts). Two protocols:

- ``--protocol foreground`` (default): NMF per class; per class and mean matched mIoU (Hungarian on IoU), NMI
  and ARI over the foreground pixels;
- ``--protocol pdisco``: as PDiscoNet / PDiscoFormer publish it on PartImageNet: one NMF over all images (K parts
  shared by every class, ``--k 8 25 50``), NMI and ARI over all pixels with the background as a class, at 224 px
  centre crops; DFF's background per ``--background`` (stated in the output).

Examples::

    python tools/analysis_tools/part_discovery.py configs/mpm/mpm_r50.py CKPT --k 4 --wnid n01440764 \
        --out-dir work_dirs/part_discovery
    # compare backbones on the same images (the dataset of the first config, or --dataset-config)
    python tools/analysis_tools/part_discovery.py --model baseline configs/baseline/baseline_r18_synthetic.py B.pth \
        --model mpm configs/mpm/mpm_r18_synthetic.py M.pth --k 4 --img-size 128 --out-dir work_dirs/part_discovery
    # PDiscoNet's protocol on its PartImageNet OOD test images (their split file)
    python tools/analysis_tools/part_discovery.py configs/mpm/mpm_r50.py CKPT --protocol pdisco --k 8 25 50 \
        --dataset-config configs/fewshot/mpm-meta-baseline_resnet12_1xb128-100e_partimagenet-pretrain.py \
        --image-list train_test_split_pimagenet_ood.txt --out-dir work_dirs/part_discovery_pdisco
"""
import argparse

from mmengine.config import DictAction

from mmpart.analysis.part_discovery import BACKGROUNDS, FACTOR_NORMS
from mmpart.analysis.part_discovery_pdisco import pdisco_report
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
    parser.add_argument('--protocol', choices=['foreground', 'pdisco'], default='foreground',
                        help='foreground: per-class NMF, scores over foreground pixels; pdisco: PDiscoNet\'s, one NMF '
                        'over all images, NMI/ARI over all pixels with the background as a class')
    parser.add_argument('--k', type=int, nargs='+', default=[4],
                        help='number of NMF factors (discovered parts); several values with --protocol pdisco')
    parser.add_argument('--background', choices=BACKGROUNDS, default='threshold',
                        help='pdisco: DFF\'s background (threshold on the total factor weight, an extra factor '
                        'strongest on the borders, or none)')
    parser.add_argument('--bg-threshold', type=float, default=0.2,
                        help='pdisco, --background threshold: fraction of the image\'s largest total factor weight')
    parser.add_argument('--factor-norm', choices=FACTOR_NORMS,
                        help='scale each factor map before the argmax (image_max: by its maximum in the image, as '
                        'DFF displays them); default: none with foreground (the raw NMF weight), image_max with pdisco')
    parser.add_argument('--image-list', help='pdisco: evaluate only these images (one file name per line, or '
                        'PDiscoFormer\'s split file: its test images)')
    parser.add_argument('--no-center-crop', action='store_true',
                        help='pdisco: resize the shorter side to --img-size without the centre crop')
    parser.add_argument('--wnid', nargs='+', help='classes to analyse (default: every class of the split)')
    parser.add_argument('--split', choices=['train', 'val', 'test'], default='train',
                        help='dataloader whose dataset (with part masks) is used')
    parser.add_argument('--dataset-config', help='take the dataset from this config (default: the first model\'s)')
    parser.add_argument('--num-images', type=int, help='images per class (default: 20; pdisco: all)')
    parser.add_argument('--img-size', type=int, default=224,
                        help='foreground: images are resized to this square size; pdisco: the shorter side, then '
                        'a centre crop')
    parser.add_argument('--stage', type=int, help='backbone stage to factorise (default: the config\'s last output)')
    parser.add_argument('--num-vis', type=int, default=4, help='pictures per class and model')
    parser.add_argument('--seed', type=int, default=0, help='NMF seed')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, help='override settings of every config')
    args = parser.parse_args()
    if (args.config is None) != (args.checkpoint is None):
        parser.error('give CONFIG and CHECKPOINT together')
    if args.config is None and not args.model:
        parser.error('give CONFIG CHECKPOINT or at least one --model NAME CONFIG CHECKPOINT')
    if args.protocol == 'foreground' and len(args.k) > 1:
        parser.error('--protocol foreground takes one --k')
    return args


def main() -> None:
    args = parse_args()
    register_all_modules()
    models = ([('model', args.config, args.checkpoint)] if args.config else []) + [tuple(m) for m in args.model]
    try:
        if args.protocol == 'pdisco':
            pdisco_report(models, args.out_dir, ks=args.k, split=args.split, image_list=args.image_list,
                          num_images=args.num_images, img_size=args.img_size, center_crop=not args.no_center_crop,
                          stage=args.stage, background=args.background, bg_threshold=args.bg_threshold,
                          factor_norm=args.factor_norm or 'image_max', num_vis=args.num_vis, seed=args.seed,
                          dataset_config=args.dataset_config, cfg_options=args.cfg_options)
        else:
            part_discovery_report(models, args.out_dir, num_parts=args.k[0], wnids=args.wnid, split=args.split,
                                  num_images=20 if args.num_images is None else args.num_images,
                                  img_size=args.img_size, stage=args.stage, num_vis=args.num_vis, seed=args.seed,
                                  dataset_config=args.dataset_config, cfg_options=args.cfg_options,
                                  factor_norm=args.factor_norm or 'none')
    except ValueError as err:
        raise SystemExit(f'error: {err}') from None


if __name__ == '__main__':
    run_tool(main)
