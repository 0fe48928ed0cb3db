"""Write the synthetic PIN++ dataset (release layout + IN-1K-style images) used by the tests and the demo.

Example::

    python tools/dataset_converters/make_synthetic_pinpp.py data/synthetic_pinpp --num-classes 6
"""
import argparse
import json

from mmpart.datasets.converters.synthetic_pinpp import make_synthetic_pinpp
from mmpart.utils.entry_point import run_tool


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Generate a synthetic PIN++ release under OUT_DIR.')
    parser.add_argument('out_dir', help='output folder (a previous synthetic output there is replaced)')
    parser.add_argument('--num-classes', type=int, default=6, help='object classes')
    parser.add_argument('--images-per-class', type=int, default=24, help='annotated images per class')
    parser.add_argument('--unlabeled-per-class', type=int, default=8,
                        help='unannotated train images per class (listed in unlabeled.txt)')
    parser.add_argument('--val-per-class', type=int, default=8, help='classification val images per class')
    parser.add_argument('--image-size', type=int, default=96, help='side of the square images')
    parser.add_argument('--seed', type=int, default=0, help='base random seed')
    parser.add_argument('--no-defects', action='store_true', help='do not plant the release defects')
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    try:
        summary = make_synthetic_pinpp(
            args.out_dir, num_classes=args.num_classes, images_per_class=args.images_per_class,
            unlabeled_per_class=args.unlabeled_per_class, val_per_class=args.val_per_class,
            image_size=args.image_size, seed=args.seed, defects=not args.no_defects, progress=True)
    except (ValueError, FileExistsError) as err:
        raise SystemExit(f'error: {err}') from None
    print()  # the progress bar does not end its line
    print(json.dumps(summary, indent=2))


if __name__ == '__main__':
    run_tool(main)
