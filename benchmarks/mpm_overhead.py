"""Cost of MPM's part bypass and of PGD adversarial training (DESIGN §3-§4, issue 4).

Measures, for ResNet-50 (GELU) at 224² with batch 8 and the PIN++ part head (3,309 classes):

* train step (preprocess, forward, loss, backward, SGD step) of MPM / the same classifier without bypass,
  for the recipe's point-sampled part loss (``configs/mpm/mpm_r50.py``) and the dense one
  (``configs/mpm/mpm_r50_dense.py``);
* inference (``val_step``: preprocess + predict) of the MPM classifier / the plain classifier;
* one PGD-2 adversarial train step (keep-best, random start) / one clean train step of MPM.

Times: CPU time of this process (``time.process_time``) with one torch thread by default, so that other
jobs on the machine do not count (wall-clock on a shared 2-core machine swung the ratios by ±0.3); all
variants run interleaved (one call of each per round, after a warm-up round) and the median over rounds
is reported.
Peak memory: the growth of the peak RSS over a train step, each variant in fresh subprocesses
(``benchmarks/peak_rss.py``), the median over a few subprocesses.

    python benchmarks/mpm_overhead.py [--rounds 5] [--memory-repeats 3] [--threads 1] [--batch 8] [--size 224]
        [--num-points 0.25]   # another setting for the sampled variants than the recipe's
"""
import argparse
import json
import statistics
import time
from pathlib import Path
from typing import Callable, Dict, Optional

import torch
from mmengine.config import Config
from mmengine.optim import OptimWrapper
from mmengine.structures import PixelData
from mmpretrain.structures import DataSample
from peak_rss import median_of_subprocesses, peak_growth

from mmpart.models.utils.point_sampling import NumPoints
from mmpart.registry import MODELS
from mmpart.utils import register_all_modules

REPO = Path(__file__).resolve().parents[1]
CONFIGS = dict(plain=REPO / 'configs/baseline/baseline_r50.py', mpm=REPO / 'configs/mpm/mpm_r50.py',
               mpmdense=REPO / 'configs/mpm/mpm_r50_dense.py')
VARIANTS = ('plain-train', 'mpm-train', 'mpmdense-train', 'mpm-adv-train', 'plain-infer', 'mpm-infer')
MEMORY_VARIANTS = ('plain-train', 'mpm-train', 'mpmdense-train')


def build(kind: str, adversarial: bool, num_points: Optional[NumPoints] = None) -> torch.nn.Module:
    """The config's model with random weights; the config's PGD-2 attack only if ``adversarial``;
    ``num_points`` replaces a point-sampled part loss's setting."""
    register_all_modules()
    cfg = Config.fromfile(str(CONFIGS[kind]))
    model_cfg = cfg.model
    model_cfg.backbone.pop('init_cfg', None)
    model_cfg.setdefault('data_preprocessor', cfg.data_preprocessor)
    if not adversarial:
        model_cfg.pop('attack', None)
    if num_points is not None and model_cfg.get('part_head', {}).get('num_points') is not None:
        model_cfg.part_head.num_points = num_points
    return MODELS.build(model_cfg)


def make_batch(batch: int, size: int, num_part_classes: int) -> dict:
    """uint8 images and data samples with a label and a part mask (a few random rectangles)."""
    gen = torch.Generator().manual_seed(0)
    samples = []
    for i in range(batch):
        mask = torch.zeros(1, size, size, dtype=torch.int64)
        for _ in range(4):
            y, x = torch.randint(0, size // 2, (2, ), generator=gen).tolist()
            mask[:, y:y + size // 3, x:x + size // 3] = int(torch.randint(1, num_part_classes, (1, ), generator=gen))
        sample = DataSample().set_gt_label(i)
        sample.gt_sem_seg = PixelData(data=mask)
        samples.append(sample)
    images = [torch.randint(0, 256, (3, size, size), dtype=torch.uint8, generator=gen) for _ in range(batch)]
    return dict(inputs=images, data_samples=samples)


def variant(name: str, batch: int, size: int, num_points: Optional[NumPoints] = None) -> Callable[[], None]:
    """A callable running one step of the named variant."""
    kind, *mode = name.split('-')
    model = build(kind, adversarial='adv' in mode, num_points=num_points)
    num_part_classes = model.part_head.num_classes if kind.startswith('mpm') else 2
    data = make_batch(batch, size, num_part_classes)
    if mode[-1] == 'infer':
        model.eval()
        return lambda: model.val_step(data)
    model.train()
    optim_wrapper = OptimWrapper(torch.optim.SGD(model.parameters(), lr=1e-3, momentum=0.9))
    return lambda: model.train_step(data, optim_wrapper)


def memory_probe(name: str, batch: int, size: int, num_points: Optional[NumPoints]) -> None:
    """Run in a subprocess: growth of the peak RSS over the built model during 2 steps, printed as JSON."""
    print(json.dumps(dict(variant=name, **peak_growth(variant(name, batch, size, num_points)))))


def peak_memory(name: str, batch: int, size: int, repeats: int, num_points: Optional[NumPoints]) -> Dict[str, float]:
    """Median over ``repeats`` fresh subprocesses of :func:`memory_probe`'s numbers."""
    extra = [] if num_points is None else ['--num-points', json.dumps(num_points)]
    return median_of_subprocesses([__file__, '--memory-probe', name, '--batch', str(batch), '--size', str(size),
                                   '--threads', str(torch.get_num_threads()), *extra], repeats)


def timings(batch: int, size: int, rounds: int, num_points: Optional[NumPoints]) -> Dict[str, float]:
    """Median CPU seconds per step of every variant, interleaved rounds after one warm-up round."""
    steps = {name: variant(name, batch, size, num_points) for name in VARIANTS}
    times = {name: [] for name in VARIANTS}
    for r in range(rounds + 1):
        for name, step in steps.items():
            start = time.process_time()
            step()
            if r:
                times[name].append(time.process_time() - start)
    return {name: statistics.median(t) for name, t in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--rounds', type=int, default=5, help='timed rounds (median)')
    parser.add_argument('--memory-repeats', type=int, default=3, help='memory subprocesses per variant (median)')
    parser.add_argument('--threads', type=int, default=1, help='torch threads (CPU time then sums the threads)')
    parser.add_argument('--batch', type=int, default=8)
    parser.add_argument('--size', type=int, default=224)
    parser.add_argument('--num-points', type=json.loads, default=None,
                        help='part_head.num_points of the sampled variants (JSON: 64, 0.25, [0.25, 0.5, 1.0]); '
                        'default: the recipe\'s')
    parser.add_argument('--memory-probe', choices=VARIANTS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    if args.memory_probe:
        memory_probe(args.memory_probe, args.batch, args.size, args.num_points)
        return

    sampled = args.num_points if args.num_points is not None else Config.fromfile(
        str(CONFIGS['mpm'])).model.part_head.num_points
    print(f'ResNet-50 (GELU), {args.size}², batch {args.batch}, torch {torch.__version__}, '
          f'{torch.get_num_threads()} thread(s), CPU time, median of {args.rounds} interleaved rounds; '
          f'MPM part loss sampled at num_points={sampled} (mpm) or dense (mpmdense)')
    mem = {name: peak_memory(name, args.batch, args.size, args.memory_repeats, args.num_points)
           for name in MEMORY_VARIANTS}
    t = timings(args.batch, args.size, args.rounds, args.num_points)
    for name, seconds in t.items():
        print(f'  {name:14s} {seconds * 1000:9.1f} ms/step (CPU)')
    for name, m in mem.items():
        print(f'  {name:14s} peak RSS growth {m["peak_growth_mb"]:8.1f} MB (peak RSS {m["peak_mb"]:.0f} MB)')
    growth = {name: m['peak_growth_mb'] for name, m in mem.items()}
    ratios = [
        ('train step time, MPM sampled / plain', t['mpm-train'] / t['plain-train'], 1.10),
        ('train step time, MPM dense / plain', t['mpmdense-train'] / t['plain-train'], 1.10),
        ('train step peak memory, MPM sampled / plain', growth['mpm-train'] / growth['plain-train'], 1.15),
        ('train step peak memory, MPM dense / plain', growth['mpmdense-train'] / growth['plain-train'], 1.15),
        ('inference time, MPM / plain', t['mpm-infer'] / t['plain-infer'], 1.00),
        ('PGD-2 adversarial step / clean step (MPM, keep-best)', t['mpm-adv-train'] / t['mpm-train'], 2.8),
    ]
    for label, ratio, goal in ratios:
        print(f'{label:55s} {ratio:5.2f}x  (goal <= {goal:.2f}x)')


if __name__ == '__main__':
    main()
