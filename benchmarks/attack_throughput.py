"""PGD-10 throughput: mmpart's PGD vs torchattacks' PGD on the same model, batch and device.

Both attack the same pixel-space logits function (normalisation inside, as in evaluation) with L∞
ε = 4/255, step 1/255, 10 steps, uniform random start; labels are the model's clean predictions (every sample
starts correctly classified, as the samples that matter in an evaluation). Three comparisons, images/s:

* attack alone: ``keep='last'`` (the textbook return, as torchattacks) / torchattacks;
* evaluation = attack + the adversarial predictions: ``PGD().run`` (the default ``keep='misclassified'``: a
  sample leaves the batch once misclassified, the logits of the returned points come with them) /
  torchattacks followed by a forward pass;
* the same at ε = 0, where no sample is ever broken (the worst case for ``'misclassified'``).

The runs are interleaved and the median of the per-round ratios is reported. On a CPU, torch runs on one
thread by default and times are the process's CPU time, so that other jobs on a shared machine disturb the
ratios less.

    python benchmarks/attack_throughput.py [--depth 18] [--image-size 64] [--batch-size 32] [--rounds 7]
"""
import argparse
import statistics
import time
from typing import Callable, Dict

import torch
import torch.nn as nn
import torchattacks
from mmpretrain.models import ImageClassifier

from mmpart.attacks import PGD, pixel_space_logits


class PixelSpaceModel(nn.Module):
    """A classifier as a module of [0, 1] images (what torchattacks expects)."""

    def __init__(self, classifier: ImageClassifier) -> None:
        super().__init__()
        self.classifier = classifier
        self.logits_fn = pixel_space_logits(classifier)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.logits_fn(images)


def seconds(run: Callable[[], object], device: torch.device) -> float:
    """Wall time on a GPU; on a CPU the process's CPU time, which other jobs on the machine do not inflate."""
    clock = time.perf_counter if device.type == 'cuda' else time.process_time
    if device.type == 'cuda':
        torch.cuda.synchronize()
    start = clock()
    run()
    if device.type == 'cuda':
        torch.cuda.synchronize()
    return clock() - start


def torchattacks_evaluation(model: nn.Module, eps: float, images: torch.Tensor, labels: torch.Tensor):
    adversarial = torchattacks.PGD(model, eps=eps / 255, alpha=1 / 255, steps=10, random_start=True)(images, labels)
    with torch.no_grad():
        return model(adversarial)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--depth', type=int, default=18, help='ResNet depth')
    parser.add_argument('--image-size', type=int, default=64)
    parser.add_argument('--batch-size', type=int, default=32)
    parser.add_argument('--rounds', type=int, default=7)
    parser.add_argument('--threads', type=int, default=1)
    parser.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    device = torch.device(args.device)
    classifier = ImageClassifier(
        backbone=dict(type='ResNet', depth=args.depth), neck=dict(type='GlobalAveragePooling'),
        head=dict(type='LinearClsHead', num_classes=1000, in_channels=512 if args.depth < 50 else 2048),
        data_preprocessor=dict(type='ClsDataPreprocessor', mean=[123.675, 116.28, 103.53],
                               std=[58.395, 57.12, 57.375])).to(device).eval()
    model = PixelSpaceModel(classifier).eval()
    images = torch.rand(args.batch_size, 3, args.image_size, args.image_size, device=device)
    with torch.no_grad():
        labels = model(images).argmax(1)

    # comparison -> (baseline, ours)
    runs: Dict[str, Dict[str, Callable[[], object]]] = {
        'attack alone (ours: keep=last)': dict(
            baseline=lambda: torchattacks.PGD(model, eps=4 / 255, alpha=1 / 255, steps=10, random_start=True)(
                images, labels),
            ours=lambda: PGD(eps=4, steps=10, step_size=1, keep='last')(model, images, labels)),
        'evaluation (ours: default run)': dict(
            baseline=lambda: torchattacks_evaluation(model, 4, images, labels),
            ours=lambda: PGD(eps=4, steps=10, step_size=1).run(model, images, labels)),
        'evaluation, eps 0: nothing broken': dict(
            baseline=lambda: torchattacks_evaluation(model, 0, images, labels),
            ours=lambda: PGD(eps=0, steps=10, step_size=1).run(model, images, labels)),
    }
    for comparison in runs.values():  # warm-up
        for run in comparison.values():
            run()
    times = {name: dict(baseline=[], ours=[]) for name in runs}
    for _ in range(args.rounds):
        for name, comparison in runs.items():
            for side, run in comparison.items():
                times[name][side].append(seconds(run, device))

    print(f'PGD-10, ResNet-{args.depth}, {args.image_size} px, batch {args.batch_size}, {device}, '
          f'{torch.get_num_threads()} threads, median of {args.rounds} rounds; ratio = ours / torchattacks images/s')
    print(f'{"comparison":<36}{"torchattacks img/s":>20}{"ours img/s":>12}{"ratio":>8}')
    for name, sides in times.items():
        ratio = statistics.median(b / o for b, o in zip(sides['baseline'], sides['ours']))
        speeds = [args.batch_size / statistics.median(sides[s]) for s in ('baseline', 'ours')]
        print(f'{name:<36}{speeds[0]:>20.1f}{speeds[1]:>12.1f}{ratio:>7.2f}x')


if __name__ == '__main__':
    main()
