"""Convert the PIN++ release to mmpart's training layout, a merged COCO json and an mmseg view.

Example::

    python tools/dataset_converters/pinpp.py data/PartImageNetPP data/imagenet/train data/pinpp \\
        --nproc 8 --val-ratio 0.1 --with-objects
"""
import argparse

from mmpart.datasets.converters.pinpp_converter import IMAGE_MODES, convert_pinpp, format_part_counts
from mmpart.datasets.converters.pinpp_release import ReleaseFormatError
from mmpart.utils.entry_point import run_tool


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('release', help='PIN++ release folder (json/, category_name.json, ...)')
    parser.add_argument('imagenet', help='IN-1K train folder with <wnid>/<file>.JPEG images')
    parser.add_argument('out', help='output folder')
    parser.add_argument('--val-ratio', type=float, default=0.1, help='share of each class in the val split')
    parser.add_argument('--image-mode', choices=IMAGE_MODES, default='symlink', help='how img/ is filled')
    parser.add_argument('--with-objects', action='store_true', help='add object instances to the COCO json')
    parser.add_argument('--nproc', type=int, default=1, help='worker processes (one class per task)')
    parser.add_argument('--wnids', nargs='+', help='convert only these classes')
    parser.add_argument('--no-category-names', action='store_true',
                        help='do not read category_name.json (object names are then the wnids)')
    parser.add_argument('--no-discarded', action='store_true', help='do not read discarded_data.json')
    parser.add_argument('--max-missing-ratio', type=float, default=0.1,
                        help='stop if more than this share of the annotated images is missing (default 0.1)')
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    try:
        summary = convert_pinpp(args.release, args.imagenet, args.out, val_ratio=args.val_ratio,
                                image_mode=args.image_mode, with_objects=args.with_objects, nproc=args.nproc,
                                wnids=args.wnids, use_category_names=not args.no_category_names,
                                use_discarded=not args.no_discarded, max_missing_ratio=args.max_missing_ratio)
    except (ReleaseFormatError, FileNotFoundError, ValueError) as err:
        raise SystemExit(f'error: {err}') from None
    print(f'\nclasses {summary["classes"]}  parts {summary["parts"]}  images train {summary["images"]["train"]}'
          f' / val {summary["images"]["val"]}  part annotations {summary["annotations"]}')
    print(format_part_counts(summary))
    print(f'{"reported":<28}{"count":>8}')
    for reason, count in summary['reported'].items():
        print(f'{reason:<28}{count:>8}')
    print(f'summary: {args.out}/summary.json')


if __name__ == '__main__':
    run_tool(main)
