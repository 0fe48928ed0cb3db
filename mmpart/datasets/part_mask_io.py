"""Reading and writing part masks: single-channel PNGs of global part ids (0 = background).

Two layouts, both read by :func:`read_part_mask` into the same uint16 ids:

* ``'indexed'`` (written by default): an 8-bit palette PNG of indices into the image's own sorted list of part
  ids, which a ``tEXt`` chunk :data:`PART_IDS_KEY` holds (an image has background and its object's few parts,
  PIN++'s whole id range being 3,311). Half the bytes of the 16-bit layout to inflate, and Pillow writes palette
  PNGs without row filters: a mask reads about twice as fast (README, Benchmarks). The palette gives each id a
  fixed colour, so the files also view as part maps; a reader that ignores the chunk sees indices, not ids.
* ``'uint16'``: a 16-bit greyscale PNG whose values are the ids (the layout before issue 25, which any PNG reader
  reads as ids). Masks with more than 256 distinct ids are always written so.

``python tools/dataset_converters/upgrade_part_masks.py FOLDER...`` rewrites masks of the 16-bit layout as
indexed ones (same ids, checked).
"""
import io
import os
import os.path as osp
from typing import Iterator, Optional, Sequence

import cv2
import mmengine.fileio as fileio
import numpy as np
from PIL import Image, PngImagePlugin

from mmpart.utils.atomic_io import atomic_write

__all__ = ['PART_IDS_KEY', 'LAYOUTS', 'read_part_mask', 'write_part_mask', 'upgrade_part_mask', 'find_part_masks']

PART_IDS_KEY = 'mmpart:part_ids'
LAYOUTS = ('indexed', 'uint16')


def read_part_mask(path: str, backend_args: Optional[dict] = None) -> np.ndarray:
    """Read a single-channel PNG (indexed with its id list, 8- or 16-bit, or palette) as a uint16 array of part ids.

    PIL keeps 16-bit PNGs at full depth (mode ``I;16``) and palette PNGs as their indices, mapped through the
    id list of :data:`PART_IDS_KEY` when the PNG has one; ``mmcv.imfrombytes`` with cv2 would expand palettes to
    colours.
    """
    try:
        with Image.open(io.BytesIO(fileio.get(path, backend_args=backend_args))) as img:
            mode = img.mode
            id_list = img.info.get(PART_IDS_KEY) if mode == 'P' else None
            mask = np.asarray(img)
    except OSError as err:
        raise OSError(f'Cannot read part mask {path}: {err}') from err
    if mask.ndim != 2 or mask.dtype.kind not in 'ui':
        raise ValueError(f'Part mask {path} must be a single-channel integer PNG, got PIL mode {mode!r}.')
    if id_list is not None:
        return _ids_of_indices(path, mask, id_list)
    if mask.dtype.itemsize > 2 and (mask.min() < 0 or mask.max() > np.iinfo(np.uint16).max):
        raise ValueError(f'Part mask {path} has ids outside the uint16 range.')
    return mask.astype(np.uint16, copy=False)


def _ids_of_indices(path: str, indices: np.ndarray, id_list: str) -> np.ndarray:
    """The part ids of an indexed mask's palette indices."""
    try:
        ids = np.array(id_list.split(), dtype=np.int64)
    except ValueError:
        raise ValueError(f'Part mask {path}: its {PART_IDS_KEY} chunk is not a list of integers: '
                         f'{id_list[:80]!r}') from None
    if not 0 < len(ids) <= 256 or ids.min() < 0 or ids.max() > np.iinfo(np.uint16).max:
        raise ValueError(f'Part mask {path}: its {PART_IDS_KEY} chunk must list 1 to 256 ids in the uint16 range, '
                         f'got {len(ids)} from {ids.min() if len(ids) else None} to {ids.max() if len(ids) else None}.')
    if int(indices.max()) >= len(ids):
        raise ValueError(f'Part mask {path} has palette index {int(indices.max())}, but its {PART_IDS_KEY} chunk '
                         f'lists {len(ids)} ids.')
    table = np.zeros(256, np.uint16)
    table[:len(ids)] = ids
    return cv2.LUT(indices, table)  # a 256-entry look-up: several times faster than numpy's indexing


def _palette(ids: np.ndarray) -> list:
    """A fixed colour per part id (background black), for viewing the indexed files."""
    colours = (ids.astype(np.uint64) * 2654435761) & 0xFFFFFF  # Knuth's multiplicative hash
    rgb = np.stack([colours >> 16, (colours >> 8) & 255, colours & 255], axis=1).astype(np.uint8)
    rgb[ids == 0] = 0
    return rgb.ravel().tolist()


def write_part_mask(path: str, mask: np.ndarray, layout: str = 'indexed') -> None:
    """Write a uint16 part-id map as a PNG of ``layout`` (see the module), atomically (deterministic bytes)."""
    if mask.dtype != np.uint16 or mask.ndim != 2:
        raise ValueError(f'Part mask for {path} must be a 2-D uint16 array, got {mask.dtype} {mask.shape}.')
    if layout not in LAYOUTS:
        raise ValueError(f'Part mask layout must be one of {LAYOUTS}, got {layout!r}.')
    ids = np.flatnonzero(np.bincount(mask.ravel())) if layout == 'indexed' else None
    with atomic_write(path) as f:
        if ids is None or len(ids) > 256:
            Image.fromarray(mask).save(f, format='PNG')
            return
        table = np.zeros(int(ids[-1]) + 1, np.uint8)
        table[ids] = np.arange(len(ids))
        indexed = Image.fromarray(table[mask])
        indexed.putpalette(_palette(ids))  # makes the 8-bit image a palette one
        info = PngImagePlugin.PngInfo()
        info.add_text(PART_IDS_KEY, ' '.join(map(str, ids.tolist())))
        indexed.save(f, format='PNG', pnginfo=info)


def upgrade_part_mask(path: str) -> bool:
    """Rewrite a 16-bit mask as an indexed one if it fits (same ids, read back and compared before it replaces the
    file); True if rewritten."""
    mask = read_part_mask(path)
    with Image.open(path) as img:
        if img.mode == 'P' and PART_IDS_KEY in img.info:
            return False
    if len(np.unique(mask)) > 256:
        return False
    tmp = osp.join(osp.dirname(path), f'.{osp.basename(path)}.upgrade.png')
    try:
        write_part_mask(tmp, mask)
        if not np.array_equal(read_part_mask(tmp), mask):
            raise RuntimeError(f'Upgrading part mask {path}: the indexed copy does not read back the same ids.')
        os.replace(tmp, path)
    finally:
        if osp.exists(tmp):
            os.unlink(tmp)
    return True


def find_part_masks(folders: Sequence[str]) -> Iterator[str]:
    """Every ``*.png`` under ``folders`` (e.g. the converter's ``seg/``), sorted, hidden files skipped."""
    for folder in folders:
        if not osp.isdir(folder):
            raise FileNotFoundError(f'No mask folder {folder}.')
        for root, dirs, files in os.walk(folder):
            dirs.sort()
            yield from (osp.join(root, f) for f in sorted(files) if f.endswith('.png') and not f.startswith('.'))
