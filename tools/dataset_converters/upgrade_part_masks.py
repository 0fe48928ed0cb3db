"""Rewrite part masks of the 16-bit layout as indexed PNGs, which read twice as fast (same ids, checked).

Example (the converter's and the pseudo-labeller's masks)::

    python tools/dataset_converters/upgrade_part_masks.py data/pinpp/seg data/pinpp_pseudo/seg --nproc 8

Masks already indexed, or with more than 256 distinct ids, are left as they are; each rewrite is atomic and
compared with the original ids before it replaces the file, so an interrupted run can be rerun.
"""
import argparse

from mmengine.utils import track_parallel_progress, track_progress

from mmpart.datasets.part_mask_io import find_part_masks, upgrade_part_mask
from mmpart.utils.entry_point import run_tool


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('folders', nargs='+', help='mask folders (searched recursively for *.png)')
    parser.add_argument('--nproc', type=int, default=1, help='worker processes')
    args = parser.parse_args()
    try:
        paths = list(find_part_masks(args.folders))
    except FileNotFoundError as err:
        raise SystemExit(f'error: {err}') from None
    if not paths:
        raise SystemExit(f'error: no *.png under {", ".join(args.folders)}')
    if args.nproc > 1:
        upgraded = sum(track_parallel_progress(upgrade_part_mask, paths, args.nproc))
    else:
        upgraded = sum(track_progress(upgrade_part_mask, paths))
    print(f'\n{upgraded} of {len(paths)} masks rewritten as indexed PNGs; {len(paths) - upgraded} left as they were')


if __name__ == '__main__':
    run_tool(main)
