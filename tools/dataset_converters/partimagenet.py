"""Write cleaned COCO json next to the PartImageNet originals (Seg and/or OOD release), for mmdet and CocoMetric.

Example::

    python tools/dataset_converters/partimagenet.py data/PartImageNet
"""
import argparse

from mmpart.datasets.converters.partimagenet_cleaner import REASONS, SPLITS, SUMMARY_FILE, clean_partimagenet
from mmpart.utils.entry_point import run_tool


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('root', help='release folder: annotations/{split}.json + images/ (Seg) or {split}.json + '
                                     '{split}/<wnid>/ (OOD)')
    parser.add_argument('--splits', nargs='+', default=list(SPLITS), help='splits to clean (default: all found)')
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    try:
        summaries = clean_partimagenet(args.root, args.splits)
    except (FileNotFoundError, ValueError) as err:
        raise SystemExit(f'error: {err}') from None
    for folder, summary in summaries.items():
        splits = list(summary)
        print(f'{folder}:')
        print(f'{"":<28}' + ''.join(f'{s:>10}' for s in splits))
        for key in ('images', 'annotations'):
            print(f'{key + " kept / original":<28}' + ''.join(
                f'{str(summary[s][key]["kept"]) + "/" + str(summary[s][key]["original"]):>10}' for s in splits))
        for reason in REASONS:
            print(f'{reason:<28}' + ''.join(f'{summary[s]["reported"][reason]:>10}' for s in splits))
        print(f'cleaned: {", ".join(summary[s]["cleaned"] for s in splits)}; summary: {folder}/{SUMMARY_FILE}')


if __name__ == '__main__':
    run_tool(main)
