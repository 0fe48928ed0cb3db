"""Deploy an MPM checkpoint as a plain mmpretrain ImageClassifier checkpoint.

Example::

    python tools/model_converters/mpm_to_cls.py work_dirs/mpm_r50/epoch_80.pth mpm_r50_cls.pth
    python tools/test.py configs/baseline/baseline_r50.py mpm_r50_cls.pth --attack pgd

The bypass and the backbone outputs only the bypass reads (e.g. ConvNeXt / Swin ``norm1``, ``norm2``)
are left behind; the result loads with ``strict=True`` into the plain config of the same backbone with
the last stage only (``configs/baseline/baseline_{r50,convnext-t,swin-t}.py``). The MPM config is read
from the checkpoint (mmengine saves it) unless ``--config`` gives it.
"""
import argparse

import torch
from mmengine.config import Config

from mmpart.models.utils import mpm_to_cls_checkpoint
from mmpart.utils import atomic_write, register_all_modules, safe_load_checkpoint
from mmpart.utils.config_file import load_config
from mmpart.utils.entry_point import run_tool


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Strip the part bypass from an MPM checkpoint')
    parser.add_argument('src', help='MPM checkpoint (mmengine)')
    parser.add_argument('dst', help='output checkpoint of the plain classifier')
    parser.add_argument('--config', help='the MPM config of the checkpoint (default: the one saved in it)')
    parser.add_argument('--no-ema', action='store_true', help='take the raw weights, not the EMA ones')
    return parser.parse_args()


def mpm_config(args: argparse.Namespace, checkpoint: dict) -> Config:
    if args.config:
        return load_config(args.config)
    text = (checkpoint.get('meta') or {}).get('cfg')
    if not text:
        raise SystemExit(f'{args.src}: the checkpoint holds no config (meta.cfg): pass the MPM config with --config')
    return Config.fromstring(text, file_format='.py')


def main() -> None:
    args = parse_args()
    register_all_modules()
    checkpoint = safe_load_checkpoint(args.src, map_location='cpu')
    cfg = mpm_config(args, checkpoint)
    converted, description = mpm_to_cls_checkpoint(checkpoint, cfg.model, use_ema=not args.no_ema)
    with atomic_write(args.dst) as f:
        torch.save(converted, f)
    print(f'{args.dst}: {len(converted["state_dict"])} tensors of the plain classifier, {description}')


if __name__ == '__main__':
    run_tool(main)
