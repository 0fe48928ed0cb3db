"""Write the synthetic PartImageNet split (disjoint train/val/test classes, part annotations) used by the few-shot
and part-discovery tests and by ``make demo-benchmarks``.

Example::

    python tools/dataset_converters/make_synthetic_partimagenet.py data/synthetic_partimagenet --image-size 64
"""
import argparse
import json

from mmpart.datasets.converters.synthetic_partimagenet import LAYOUTS, make_synthetic_partimagenet
from mmpart.utils.entry_point import run_tool


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Generate a synthetic PartImageNet split under OUT_DIR.')
    parser.add_argument('out_dir', help='output folder (a previous synthetic output there is replaced)')
    parser.add_argument('--num-classes', type=int, nargs=3, default=[12, 5, 5], metavar=('TRAIN', 'VAL', 'TEST'),
                        help='classes of the train, val and test splits (disjoint)')
    parser.add_argument('--images-per-class', type=int, default=20, help='images of every class')
    parser.add_argument('--image-size', type=int, default=84, help='side of the square images')
    parser.add_argument('--layout', choices=LAYOUTS, default='ood',
                        help='ood: {split}/<wnid>/ folders and {split}.json (the few-shot release); '
                        'seg: images/{split}/, annotations/{split}/*.png and annotations/{split}.json')
    parser.add_argument('--seed', type=int, default=0, help='base random seed')
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    try:
        summary = make_synthetic_partimagenet(args.out_dir, num_classes=args.num_classes,
                                              images_per_class=args.images_per_class, image_size=args.image_size,
                                              seed=args.seed, layout=args.layout, progress=True)
    except (ValueError, FileExistsError) as err:
        raise SystemExit(f'error: {err}') from None
    print()  # the progress bar does not end its line
    print(json.dumps(summary, indent=2))


if __name__ == '__main__':
    run_tool(main)
