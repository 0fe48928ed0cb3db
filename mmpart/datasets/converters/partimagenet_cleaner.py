"""Clean the COCO json of the PartImageNet releases for mmdet training and ``CocoMetric`` evaluation.

Both releases (DESIGN §2.2) ship COCO files with known defects. The cleaned copy is written next to each
original as ``{split}_cleaned.json``, with ``cleaned_summary.json`` saying what was dropped and why:

* annotation ids renumbered from 1 (pycocotools' ``COCOeval`` records a match by the ground truth's id,
  so a detection matched to annotation id 0 counts as a false positive);
* polygons with fewer than 3 points dropped (they crash ``annToMask``), and annotations left without one;
* annotations with area 0, with an empty mask, or that mmdet's ``CocoDataset`` would skip (box under
  1 pixel wide or high, or outside the image), so that what the metric scores is what the loader loads;
* images whose file is missing (and their annotations), and macOS zip entries (``__MACOSX``, ``._*``).

Layouts read: the Seg release, ``annotations/{split}.json`` with images in ``images/{split}/``, and the
OOD release, ``{split}.json`` with images in ``{split}/<wnid>/`` (its ``file_name`` has no folder).
Grayscale images are kept (the loaders decode them as colour) and counted.
"""
import json
import os.path as osp
from collections import Counter
from pathlib import PurePath
from typing import Dict, List, Optional, Sequence, Tuple

from PIL import Image
from pycocotools import mask as mask_utils

from mmpart.utils.atomic_io import atomic_write_json

from .coco_segmentation import SegmentationError, clean_segmentation, segmentation_to_rle

SPLITS = ('train', 'val', 'test')
CLEANED_SUFFIX = '_cleaned'
SUMMARY_FILE = 'cleaned_summary.json'
REASONS = ('macos_junk', 'missing_image', 'annotation_without_image', 'unknown_category', 'degenerate_polygon',
           'annotation_without_polygon', 'bad_segmentation', 'bad_rle', 'rle_size_mismatch', 'zero_area',
           'empty_mask', 'small_box', 'box_outside_image', 'grayscale')
MAX_EXAMPLES = 20


def is_macos_junk(path: str) -> bool:
    """Whether ``path`` is an entry macOS adds to zips (``__MACOSX/`` folders, ``._*`` AppleDouble files)."""
    parts = PurePath(path).parts
    return '__MACOSX' in parts or (bool(parts) and parts[-1].startswith('._'))


def find_release_jsons(root: str, splits: Sequence[str] = SPLITS) -> List[Tuple[str, str, str]]:
    """``(split, json path, image folder)`` of the Seg release (``annotations/``) and/or the OOD release."""
    found = []
    for split in splits:
        for json_path, image_dir in ((osp.join(root, 'annotations', f'{split}.json'), osp.join(root, 'images', split)),
                                     (osp.join(root, f'{split}.json'), osp.join(root, split))):
            if osp.isfile(json_path):
                found.append((split, json_path, image_dir))
    if not found:
        raise FileNotFoundError(f'{root}: no PartImageNet COCO json found; expected annotations/{{split}}.json '
                                f'(Seg release) or {{split}}.json (OOD release) for splits {list(splits)}')
    return found


def image_path(image_dir: str, file_name: str) -> Optional[str]:
    """Where an image of the json is: ``<image_dir>/<file_name>`` (Seg) or ``<image_dir>/<wnid>/<file_name>`` (OOD)."""
    flat = osp.join(image_dir, file_name)
    by_wnid = osp.join(image_dir, osp.basename(file_name).split('_')[0], file_name)
    return next((p for p in (flat, by_wnid) if osp.isfile(p)), None)


class _Report:
    def __init__(self) -> None:
        self.counts: Counter = Counter()
        self.examples: Dict[str, List[str]] = {}

    def __call__(self, reason: str, what: str) -> None:
        self.counts[reason] += 1
        examples = self.examples.setdefault(reason, [])
        if len(examples) < MAX_EXAMPLES:
            examples.append(what)


def _keep_annotation(ann: dict, img: dict, category_ids: set, report: _Report) -> Optional[dict]:
    """The annotation with cleaned polygons, or None (reported) if mmdet or pycocotools cannot use it."""
    where = f'{img["file_name"]}: annotation {ann.get("id")}'
    if ann.get('category_id') not in category_ids:
        report('unknown_category', f'{where}: category {ann.get("category_id")}')
        return None
    try:
        segmentation, dropped = clean_segmentation(ann.get('segmentation'))
        if dropped:
            report('degenerate_polygon', where)
        rle = segmentation_to_rle(segmentation, int(img['height']), int(img['width']))
    except SegmentationError as err:
        report(err.reason, f'{where}: {err}')
        return None
    if not ann.get('area', 0) > 0:
        report('zero_area', where)
        return None
    if mask_utils.area(rle) == 0:
        report('empty_mask', where)
        return None
    bbox = ann.get('bbox') or [float(v) for v in mask_utils.toBbox(rle)]
    x, y, w, h = bbox
    if w < 1 or h < 1:  # mmdet's CocoDataset skips these
        report('small_box', f'{where}: bbox {bbox}')
        return None
    if min(x + w, img['width']) - max(x, 0) <= 0 or min(y + h, img['height']) - max(y, 0) <= 0:
        report('box_outside_image', f'{where}: bbox {bbox}')
        return None
    return {**ann, 'segmentation': segmentation, 'bbox': bbox}


def clean_coco(data: dict, image_dir: str, json_path: str) -> Tuple[dict, dict]:
    """The cleaned COCO dict and ``dict(counts, examples)`` of what was dropped or found."""
    for key in ('images', 'annotations', 'categories'):
        if not isinstance(data.get(key), list):
            raise ValueError(f'{json_path}: missing COCO list "{key}"')
    report = _Report()
    images = {}
    for img in data['images']:
        if is_macos_junk(img['file_name']):
            report('macos_junk', img['file_name'])
            continue
        path = image_path(image_dir, img['file_name'])
        if path is None:
            report('missing_image', img['file_name'])
            continue
        with Image.open(path) as opened:
            if opened.mode != 'RGB':
                report('grayscale', img['file_name'])
        images[img['id']] = img
    dropped_images = {img['id'] for img in data['images']} - set(images)
    category_ids = {c['id'] for c in data['categories']}
    annotations = []
    for ann in data['annotations']:
        img = images.get(ann.get('image_id'))
        if img is None:
            if ann.get('image_id') not in dropped_images:
                report('annotation_without_image', f'annotation {ann.get("id")}: image {ann.get("image_id")}')
            continue
        kept = _keep_annotation(ann, img, category_ids, report)
        if kept is not None:
            annotations.append({**kept, 'id': len(annotations) + 1})
    cleaned = {**data, 'images': list(images.values()), 'annotations': annotations}
    return cleaned, dict(images=dict(original=len(data['images']), kept=len(images)),
                         annotations=dict(original=len(data['annotations']), kept=len(annotations)),
                         reported={reason: report.counts.get(reason, 0) for reason in REASONS},
                         examples=dict(sorted(report.examples.items())))


def cleaned_json_path(json_path: str) -> str:
    """``<dir>/<split>_cleaned.json`` next to ``<dir>/<split>.json``."""
    stem, ext = osp.splitext(json_path)
    return f'{stem}{CLEANED_SUFFIX}{ext}'


def clean_partimagenet(root: str, splits: Sequence[str] = SPLITS) -> Dict[str, dict]:
    """Clean every COCO json of the release(s) under ``root``; returns ``{json folder: summary}``.

    Writes ``{split}_cleaned.json`` next to each ``{split}.json`` and one ``cleaned_summary.json`` per
    folder of json files, atomically.
    """
    summaries: Dict[str, dict] = {}
    for split, json_path, image_dir in find_release_jsons(root, splits):
        try:
            with open(json_path, encoding='utf-8') as f:
                data = json.load(f)
        except json.JSONDecodeError as err:
            raise ValueError(f'{json_path}: not valid JSON ({err})') from None
        cleaned, summary = clean_coco(data, image_dir, json_path)
        out = cleaned_json_path(json_path)
        atomic_write_json(out, cleaned)
        summaries.setdefault(osp.dirname(json_path), {})[split] = dict(source=json_path, cleaned=out, **summary)
    for folder, summary in summaries.items():
        atomic_write_json(osp.join(folder, SUMMARY_FILE), summary, indent=1)
    return summaries
