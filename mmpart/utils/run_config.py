"""Merge the command-line arguments of ``tools/train.py`` / ``tools/test.py`` into a config."""
import argparse
import os.path as osp

import torch
from mmengine.config import Config, DictAction


def add_common_args(parser: argparse.ArgumentParser) -> None:
    """Arguments shared by the train and test entry points."""
    parser.add_argument('--work-dir', help='where logs and checkpoints go (default: work_dirs/<config name>)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings, e.g. train_dataloader.batch_size=8')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'], default='none',
                        help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)


def _dataloader_defaults(cfg: Config, field: str) -> None:
    loader = cfg.get(field)
    if loader is None:
        return
    loader.setdefault('pin_memory', torch.cuda.is_available())
    # torch refuses persistent workers without workers
    loader['persistent_workers'] = bool(loader.get('persistent_workers', True) and loader.get('num_workers', 0))


def apply_common_args(cfg: Config, args: argparse.Namespace) -> Config:
    """Work dir (CLI > config > config name), launcher, ``--cfg-options`` and dataloader defaults."""
    cfg.launcher = args.launcher
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('./work_dirs', osp.splitext(osp.basename(args.config))[0])
    for field in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        _dataloader_defaults(cfg, field)
    return cfg


def use_checkpoint(cfg: Config, checkpoint: str) -> Config:
    """Test ``checkpoint`` (``load_from``), refused unless it fits the model exactly: :class:`StrictLoadHook`
    (``mmpart.engine.hooks``) is added where the config has none (configs on mmdet's or mmseg's runtime);
    ``default_hooks.strict_load=None`` in a config keeps it off."""
    cfg.load_from = checkpoint
    if cfg.get('default_hooks') is None:
        cfg.default_hooks = dict()
    if 'strict_load' not in cfg.default_hooks:
        cfg.default_hooks.strict_load = dict(type='mmpart.StrictLoadHook')
    return cfg


def apply_train_args(cfg: Config, args: argparse.Namespace) -> Config:
    """``--amp``, ``--resume [CKPT]``, ``--auto-scale-lr`` and ``--no-validate``."""
    if args.amp:
        cfg.optim_wrapper.type = 'AmpOptimWrapper'
        cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')
    if args.resume == 'auto':
        cfg.resume, cfg.load_from = True, None
    elif args.resume is not None:
        cfg.resume, cfg.load_from = True, args.resume
    if args.auto_scale_lr:
        if 'base_batch_size' not in (cfg.get('auto_scale_lr') or {}):
            raise ValueError(f'{args.config}: --auto-scale-lr needs auto_scale_lr = dict(base_batch_size=N) in the '
                             'config (the total batch size its learning rate is meant for)')
        cfg.auto_scale_lr.enable = True
    if args.no_validate:
        cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    return cfg
