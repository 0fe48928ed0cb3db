"""Peak memory of a PIN++ (3,309 classes) part segmentation train step / the PartImageNet (41 classes) one.

For each model family, the PIN++ config (loss at random pixels, ``PointLoss*Head``) and the PartImageNet
config of the same model, at the same crop size and batch, random weights (SyncBN → BN on CPU), one
random batch of crops with part masks; a train step is preprocess, forward, loss, backward, SGD step.
Peak memory: growth of the peak RSS over 2 train steps, each config in fresh subprocesses
(``benchmarks/peak_rss.py``), the median over a few. ``--with-dense`` adds the PIN++ config with mmseg's
own head (loss on full-resolution logits, as before point sampling): about 4 × 3.5 GB per 512² crop, so
try it at a small ``--crop`` first.

    python benchmarks/seg_memory.py [--models fpn segformer deeplabv3] [--batch 4] [--crop 512]
        [--memory-repeats 3] [--with-dense]
"""
import argparse
import json
from pathlib import Path
from typing import Callable, Optional

import torch
from mmengine.config import Config
from mmengine.model import revert_sync_batchnorm
from mmengine.optim import OptimWrapper
from mmengine.registry import DefaultScope
from mmengine.structures import PixelData
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample
from peak_rss import median_of_subprocesses, peak_growth

from mmpart.utils import register_all_modules

CONFIGS = Path(__file__).resolve().parents[1] / 'configs/partseg'
MODELS_41_VS_PINPP = dict(
    fpn=('fpn_r50_4xb4-40k_partimagenet-512x512.py', 'fpn_r50_4xb4-40k_pinpp-512x512.py'),
    deeplabv3=('deeplabv3_r50-d8_4xb4-40k_partimagenet-512x512.py', 'deeplabv3_r50-d8_4xb4-40k_pinpp-512x512.py'),
    segformer=('segformer_mit-b2_4xb4-40k_partimagenet-512x512.py', 'segformer_mit-b2_4xb4-40k_pinpp-512x512.py'),
)
VARIANTS = dict(partimagenet='PartImageNet (41)', pinpp='PIN++ point-sampled loss', **{
    'pinpp-dense': 'PIN++ dense loss'})


def build(model: str, variant: str, crop: int, num_points: Optional[int] = None) -> torch.nn.Module:
    """The segmentor of the variant's config with random weights, BN instead of SyncBN, ``crop``² inputs;
    ``num_points`` replaces the config's for the point-sampled heads."""
    register_all_modules()
    cfg = Config.fromfile(str(CONFIGS / MODELS_41_VS_PINPP[model][variant != 'partimagenet']))
    model_cfg = cfg.model
    model_cfg.pretrained = None
    model_cfg.backbone.init_cfg = None
    model_cfg.data_preprocessor.size = (crop, crop)
    for head in (model_cfg.decode_head, model_cfg.get('auxiliary_head')):
        if head is None or 'num_points' not in head:
            continue
        if variant == 'pinpp-dense':  # mmseg's head of the same type: loss on full-resolution logits
            head.type = head.type.replace('PointLoss', '')
            head.pop('_scope_')
            head.pop('num_points')
        elif num_points is not None:
            head.num_points = num_points
    with DefaultScope.overwrite_default_scope('mmseg'):
        return revert_sync_batchnorm(MODELS.build(model_cfg))


def train_step(model: str, variant: str, batch: int, crop: int, num_points: Optional[int]) -> Callable[[], None]:
    """One train step of the variant on a fixed random batch: images and masks of a few part rectangles."""
    segmentor = build(model, variant, crop, num_points).train()
    num_classes = segmentor.decode_head.num_classes
    ignore = segmentor.decode_head.ignore_index
    gen = torch.Generator().manual_seed(0)
    inputs, samples = [], []
    for _ in range(batch):
        mask = torch.zeros(1, crop, crop, dtype=torch.int64)
        mask[:, :crop // 16] = ignore
        for _ in range(6):
            y, x = torch.randint(0, crop // 2, (2, ), generator=gen).tolist()
            mask[:, y:y + crop // 3, x:x + crop // 3] = int(torch.randint(1, num_classes, (1, ), generator=gen))
        sample = SegDataSample(metainfo=dict(img_shape=(crop, crop), ori_shape=(crop, crop), pad_shape=(crop, crop)))
        sample.gt_sem_seg = PixelData(data=mask)
        samples.append(sample)
        inputs.append(torch.randint(0, 256, (3, crop, crop), dtype=torch.uint8, generator=gen))
    optim_wrapper = OptimWrapper(torch.optim.SGD(segmentor.parameters(), lr=1e-3, momentum=0.9))
    return lambda: segmentor.train_step(dict(inputs=inputs, data_samples=samples), optim_wrapper)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--models', nargs='+', choices=list(MODELS_41_VS_PINPP), default=['fpn', 'segformer'])
    parser.add_argument('--batch', type=int, default=4, help='crops per step (the configs: 4 per GPU)')
    parser.add_argument('--crop', type=int, default=512)
    parser.add_argument('--memory-repeats', type=int, default=3, help='subprocesses per config (median)')
    parser.add_argument('--threads', type=int, default=2)
    parser.add_argument('--num-points', type=int, help='num_points of the point-sampled heads (default: the configs\')')
    parser.add_argument('--with-dense', action='store_true', help='also the PIN++ loss on full-resolution logits')
    parser.add_argument('--memory-probe', nargs=2, metavar=('MODEL', 'VARIANT'), help=argparse.SUPPRESS)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    if args.memory_probe:
        model, variant = args.memory_probe
        print(json.dumps(peak_growth(train_step(model, variant, args.batch, args.crop, args.num_points))))
        return

    print(f'{args.crop}² crops, batch {args.batch}, torch {torch.__version__}, peak RSS growth over 2 train steps, '
          f'median of {args.memory_repeats} subprocesses; num_points={args.num_points or "as the configs"}')
    extra = [] if args.num_points is None else ['--num-points', str(args.num_points)]
    variants = list(VARIANTS)[:3 if args.with_dense else 2]
    for model in args.models:
        mem = {variant: median_of_subprocesses(
            [__file__, '--memory-probe', model, variant, '--batch', str(args.batch), '--crop', str(args.crop),
             '--threads', str(args.threads), *extra], args.memory_repeats) for variant in variants}
        for variant, m in mem.items():
            print(f'  {model:10s} {variant:13s} peak RSS growth {m["peak_growth_mb"]:8.1f} MB '
                  f'(peak RSS {m["peak_mb"]:.0f} MB)')
        base = mem['partimagenet']['peak_growth_mb']
        for variant in variants[1:]:
            print(f'{model} train step peak memory, {VARIANTS[variant]} / {VARIANTS["partimagenet"]}: '
                  f'{mem[variant]["peak_growth_mb"] / base:5.2f}x  (goal <= 1.50x)')


if __name__ == '__main__':
    main()
