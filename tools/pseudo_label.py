"""Pseudo part labels for the unannotated images of ``<wnid>/`` folders with a part instance segmentation model.

Examples::

    python tools/pseudo_label.py configs/partdet/mask-rcnn_r50_fpn_4xb2-62.5k_pinpp-parts.py CKPT \
        --img-root data/imagenet/train --annotated data/pinpp --out data/pinpp_pseudo --score-thr 0.5
    tools/dist_pseudo_label.sh CONFIG CKPT 8 --img-root ... --annotated data/pinpp --out data/pinpp_pseudo

A killed run restarted with the same arguments continues where it stopped.
"""
import argparse
import os
import os.path as osp

import torch
from mmengine.config import Config, DictAction
from mmengine.dist import get_dist_info, init_dist

from mmpart.datasets.part_id_table import PartIdTable
from mmpart.pseudo_label import PartPseudoLabeler, build_test_pipeline, init_part_detector, read_annotated
from mmpart.utils import register_all_modules
from mmpart.utils.config_file import load_config
from mmpart.utils.distributed import setup_cpu_distributed
from mmpart.utils.entry_point import run_tool


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Pseudo part labels from a part instance segmentation model')
    parser.add_argument('config', help='detector config')
    parser.add_argument('checkpoint', help='detector checkpoint')
    parser.add_argument('--img-root', required=True, help='images in <wnid>/ folders')
    parser.add_argument('--out', required=True, help='output folder (seg/, whether_pseudo/, summary.json)')
    parser.add_argument('--score-thr', type=float, default=0.5, help='minimum detection score kept')
    parser.add_argument('--batch-size', type=int, default=4, help='images per forward pass')
    parser.add_argument('--num-workers', type=int, default=2, help='image loading processes')
    parser.add_argument('--annotated', help='skip the images PIN++ annotates: the converter output folder, '
                        'or a file of <wnid>/<file> lines')
    parser.add_argument('--part-ids', help='part_ids.json (default: the one in --annotated, else the config\'s)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, help='override config settings')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm'], default='none', help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args()
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def find_part_ids(args: argparse.Namespace, cfg: Config) -> str:
    """``--part-ids``, else ``part_ids.json`` of ``--annotated``, else the one of the config's training set."""
    if args.part_ids:
        return args.part_ids
    if args.annotated and osp.isfile(osp.join(args.annotated, 'part_ids.json')):
        return osp.join(args.annotated, 'part_ids.json')
    dataset = cfg.train_dataloader.dataset
    while 'dataset' in dataset:
        dataset = dataset.dataset
    path = osp.join(dataset.get('data_root', ''), dataset.get('part_id_file', 'part_ids.json'))
    if not osp.isfile(path):
        raise FileNotFoundError(f'{path}: part id table not found; pass --part-ids')
    return path


def main() -> None:
    args = parse_args()
    register_all_modules(init_default_scope=False)
    cfg = load_config(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    if args.launcher != 'none' and not setup_cpu_distributed(cfg, args.launcher):
        init_dist(args.launcher)
    rank, world_size = get_dist_info()
    device = f'cuda:{torch.cuda.current_device()}' if torch.cuda.is_available() else 'cpu'

    table = PartIdTable.load(find_part_ids(args, cfg))
    annotated = read_annotated(args.annotated) if args.annotated else None
    model = init_part_detector(cfg, args.checkpoint, device=device)
    labeler = PartPseudoLabeler(model, build_test_pipeline(cfg), table, score_thr=args.score_thr,
                                batch_size=args.batch_size, num_workers=args.num_workers)
    summary = labeler.run(args.img_root, args.out, annotated=annotated, rank=rank, world_size=world_size,
                          run_info=dict(config=osp.abspath(args.config), checkpoint=osp.abspath(args.checkpoint)))
    if summary is not None:
        print(f'\n{summary["images"]} images, {summary["images_with_parts"]} with parts, '
              f'{summary["parts_per_image"]} parts per image; summary in {osp.join(args.out, "summary.json")}')


if __name__ == '__main__':
    run_tool(main)
