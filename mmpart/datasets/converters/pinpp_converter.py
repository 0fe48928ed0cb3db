"""Convert the PIN++ release into the layouts mmpart trains on.

Outputs under ``out_dir`` (DESIGN §2.1):

* training layout: ``img/<wnid>/<file>`` (links or copies of the IN-1K images),
  ``seg/<wnid>/<stem>.png`` (global part ids, 0 = background, as indexed PNGs: :mod:`~mmpart.datasets.part_mask_io`),
  ``whether_pseudo/<wnid>.txt`` (``<wnid>/<file> 0`` per annotated image), ``part_ids.json``
  (ids, names, part count of every class, the ``num_classes`` of each kind of head);
* ``coco/pinpp_parts_{train,val}.json``: one merged COCO file per split, parts as categories
  (id = global part id) and, with ``with_objects``, object classes as extra categories;
* mmseg view: ``splits/{train,val}.txt`` with ``<wnid>/<stem>`` lines over ``img/`` and ``seg/``;
* ``summary.json``: part counts (per class and total), counts of everything skipped or repaired per
  reason with examples, and the warnings about the release.

Where masks overlap, containers (``including/``) are painted before the parts they contain, then larger
parts before smaller ones. Every file is written atomically. Each finished class is recorded in
``.cache/<wnid>.json`` keyed by the hashes of its inputs and the options, so a rerun skips it and
reproduces identical bytes. Release files are read by :mod:`.pinpp_release`.
"""
import hashlib
import json
import logging
import os
import os.path as osp
import shutil
from collections import Counter
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
from mmengine.logging import print_log
from mmengine.utils import track_parallel_progress, track_progress
from PIL import Image
from pycocotools import mask as mask_utils

from mmpart.datasets.part_id_table import CLASS_COUNT_KINDS, PartIdTable
from mmpart.datasets.part_mask_io import write_part_mask
from mmpart.utils.atomic_io import atomic_write_json, atomic_write_text

from .coco_segmentation import SegmentationError, clean_segmentation, rle_to_json, segmentation_to_rle
from .pinpp_release import (
    AUTHORS_CODE_NUM_PARTS,
    AUTHORS_CODE_PART_COUNTS,
    PAPER_NUM_PARTS,
    ClassNames,
    PINPPRelease,
    ReleaseClass,
    ReleaseImage,
    normalize_name,
)

CONVERTER_VERSION = 2
IMAGE_MODES = ('symlink', 'copy', 'hardlink')
# what the summary counts; a problem in the release is reported there, never a crash
REASONS = ('discarded', 'missing_image', 'unreadable_image', 'wrong_folder', 'grayscale', 'non_rgb',
           'size_mismatch', 'degenerate_polygon', 'annotation_without_polygon', 'bad_segmentation', 'bad_rle',
           'rle_size_mismatch', 'zero_area', 'unknown_category', 'annotation_without_image', 'empty_mask')
GRAY_MODES = ('L', 'LA', '1', 'I', 'I;16')
MAX_EXAMPLES = 20
# where else an IN-1K train image may be, relative to the folder given, when it is not at <wnid>/<file>
# (besides <any subfolder>/<wnid>/<file>)
_OTHER_LAYOUTS = ('{file}', 'ILSVRC/Data/CLS-LOC/train/{wnid}/{file}', 'imagenet/train/{wnid}/{file}')


class ImagesNotFoundError(FileNotFoundError):
    """The IN-1K images of the release are not (or mostly not) where the converter looks for them."""


def _sha1(path: str) -> str:
    if not osp.isfile(path):
        return ''
    with open(path, 'rb') as f:
        return hashlib.sha1(f.read()).hexdigest()


def _paint_order(cls: ReleaseClass) -> Dict[int, int]:
    """Containment depth of each per-class category id: containers are painted before their parts."""
    names = {sid: name for sid, name in cls.parts}
    by_name = {name: sid for sid, name in cls.parts}
    depth = {sid: 0 for sid in names}
    # a part lies one level deeper than its container; iterate to a fixed point (cycles are capped)
    for _ in range(len(names)):
        changed = False
        for part, container in cls.including:
            new = depth[by_name[container]] + 1
            if new > depth[by_name[part]] and new <= len(names):
                depth[by_name[part]] = new
                changed = True
        if not changed:
            break
    return depth


def _image_info(path: str) -> Tuple[Optional[Tuple[int, int]], Optional[str]]:
    """``((width, height), mode)`` of an image file, or ``(None, None)`` if it cannot be read."""
    try:
        with Image.open(path) as img:
            return img.size, img.mode
    except OSError:
        return None, None


class _ClassConverter:
    """Converts one object class; holds the per-class counters and skip examples."""

    def __init__(self, cls: ReleaseClass, ids: Dict[int, int], imagenet_root: str, out_dir: str,
                 image_mode: str, discarded: set) -> None:
        self.cls, self.ids, self.out_dir, self.image_mode = cls, ids, out_dir, image_mode
        self.imagenet_root, self.discarded = imagenet_root, discarded
        self.depth = _paint_order(cls)
        self.counts: Counter = Counter()
        self.examples: Dict[str, List[str]] = {}
        if cls.orphan_annotations:
            self.report('annotation_without_image', f'{cls.source_file}: {cls.orphan_annotations} annotations',
                        cls.orphan_annotations)

    def report(self, reason: str, what: str, count: int = 1) -> None:
        self.counts[reason] += count
        examples = self.examples.setdefault(reason, [])
        if len(examples) < MAX_EXAMPLES:
            examples.append(what)

    def run(self) -> List[dict]:
        images = []
        for img in self.cls.images:
            record = self.convert_image(img)
            if record is not None:
                images.append(record)
        return images

    def convert_image(self, img: ReleaseImage) -> Optional[dict]:
        wnid = self.cls.wnid
        rel = f'{wnid}/{img.file_name}'
        if img.folder is not None and img.folder != wnid:
            self.report('wrong_folder', f'{self.cls.source_file}: {img.folder}/{img.file_name}')
            return None
        if img.file_name in self.discarded:
            self.report('discarded', rel)
            return None
        src = osp.join(self.imagenet_root, wnid, img.file_name)
        if not osp.isfile(src):
            self.report('missing_image', rel)
            return None
        size, mode = _image_info(src)
        if size is None:
            self.report('unreadable_image', rel)
            return None
        if mode != 'RGB':
            # kept: the loaders convert to RGB (mmcv's LoadImageFromFile decodes as colour)
            self.report('grayscale' if mode in GRAY_MODES else 'non_rgb', rel)
        width, height = size
        if (width, height) != (img.width, img.height):
            # segmentations are in the coordinates of the real image; the json's size is only metadata
            self.report('size_mismatch', f'{rel}: json {img.width}x{img.height}, file {width}x{height}')
        rasterized = self.rasterize_annotations(img, rel, height, width)
        mask = np.zeros((height, width), np.uint16)
        # containers first, then larger before smaller: the part on top wins where masks overlap
        for _depth, _, ann, part_mask in sorted(rasterized, key=lambda r: r[:2]):
            mask[part_mask] = ann['category_id']
        if not mask.any():
            self.report('empty_mask', rel)
        self.write_outputs(src, img.file_name, mask)
        return dict(file_name=rel, width=width, height=height, annotations=[r[2] for r in rasterized])

    def rasterize_annotations(self, img: ReleaseImage, rel: str, height: int,
                              width: int) -> List[Tuple[int, int, dict, np.ndarray]]:
        """``(depth, -area, COCO annotation, boolean mask)`` of each valid annotation."""
        rasterized = []
        for ann in img.annotations:
            if ann.category_id not in self.ids:
                self.report('unknown_category', f'{rel}: category {ann.category_id}')
                continue
            try:
                segmentation, dropped = clean_segmentation(ann.segmentation)
                if dropped:
                    self.report('degenerate_polygon', rel)
                rle = segmentation_to_rle(segmentation, height, width)
            except SegmentationError as err:
                self.report(err.reason, f'{rel}: {err}')
                continue
            mask = mask_utils.decode(rle).astype(bool)
            area = int(mask.sum())
            if area == 0:
                self.report('zero_area', rel)
                continue
            rle = mask_utils.encode(np.asfortranarray(mask.astype(np.uint8)))
            if isinstance(segmentation, list):
                segmentation = [[round(v, 2) for v in p] for p in segmentation]
            else:
                segmentation = rle_to_json(rle)
            coco_ann = dict(category_id=self.ids[ann.category_id], segmentation=segmentation, area=float(area),
                            bbox=[float(v) for v in mask_utils.toBbox(rle)], iscrowd=0)
            rasterized.append((self.depth[ann.category_id], -area, coco_ann, mask))
        return rasterized

    def write_outputs(self, src: str, file_name: str, mask: np.ndarray) -> None:
        wnid = self.cls.wnid
        stem = osp.splitext(file_name)[0]
        write_part_mask(osp.join(self.out_dir, 'seg', wnid, f'{stem}.png'), mask)
        _place_image(src, osp.join(self.out_dir, 'img', wnid, file_name), self.image_mode)


def _place_image(src: str, dst: str, mode: str) -> None:
    """Link or copy an IN-1K image into the training layout (atomically, replacing what is there)."""
    os.makedirs(osp.dirname(dst), exist_ok=True)
    tmp = f'{dst}.tmp{os.getpid()}'
    if osp.lexists(tmp):
        os.unlink(tmp)
    if mode == 'symlink':
        os.symlink(osp.relpath(osp.abspath(src), osp.dirname(osp.abspath(dst))), tmp)
    elif mode == 'hardlink':
        os.link(src, tmp)
    else:
        shutil.copyfile(src, tmp)
    os.replace(tmp, dst)


def _scan_class(task: tuple) -> dict:
    """Parts, image names, containment warnings and the images not found of one class."""
    release_root, wnid, imagenet_root = task
    cls = PINPPRelease(release_root).load_class(wnid)
    names = [img.file_name for img in cls.images]
    return dict(wnid=wnid, parts=cls.parts, names=names, unmatched_including=cls.unmatched_including,
                missing=[n for n in names if not osp.isfile(osp.join(imagenet_root, wnid, n))])


def _convert_class(task: tuple) -> dict:
    """Convert one class, or reuse its cache entry when its inputs did not change."""
    release_root, wnid, ids, imagenet_root, out_dir, image_mode, discarded = task
    release = PINPPRelease(release_root)
    key = dict(version=CONVERTER_VERSION, source_sha1=_sha1(release.class_json_path(wnid)),
               including_sha1=_sha1(release.including_path(wnid)), discarded=sorted(discarded),
               imagenet_root=osp.abspath(imagenet_root), image_mode=image_mode,
               ids={str(k): v for k, v in ids.items()})
    cache_path = osp.join(out_dir, '.cache', f'{wnid}.json')
    if osp.isfile(cache_path):
        with open(cache_path, encoding='utf-8') as f:
            cached = json.load(f)
        if cached['key'] == key and all(
                osp.isfile(osp.join(out_dir, 'seg', wnid, osp.splitext(osp.basename(i['file_name']))[0] + '.png'))
                for i in cached['images']):
            return cached
    converter = _ClassConverter(release.load_class(wnid), ids, imagenet_root, out_dir, image_mode, set(discarded))
    images = converter.run()
    result = dict(key=key, wnid=wnid, images=images, counts=dict(sorted(converter.counts.items())),
                  examples=dict(sorted(converter.examples.items())))
    atomic_write_json(cache_path, result)
    return result


def _val_indices(n: int, val_ratio: float) -> set:
    """Evenly spaced indices of the ``round(n * val_ratio)`` val images among ``n`` sorted images."""
    return {i for i in range(n) if int((i + 1) * val_ratio) > int(i * val_ratio)}


def _coco(images: List[dict], table: PartIdTable, with_objects: bool, split: str) -> dict:
    categories = [dict(id=p.id, name=f'{p.wnid}:{p.name}', supercategory=p.wnid) for p in table.parts]
    object_ids = {}
    if with_objects:
        for k, wnid in enumerate(table.wnids):
            object_ids[wnid] = table.num_parts + 1 + k
            categories.append(dict(id=object_ids[wnid], name=wnid, supercategory='object'))
    coco_images, annotations = [], []
    for image_id, img in enumerate(images, 1):
        coco_images.append(dict(id=image_id, file_name=img['file_name'], width=img['width'],
                                height=img['height']))
        for ann in img['annotations']:
            annotations.append(dict(id=len(annotations) + 1, image_id=image_id, **ann))
        if with_objects and img['annotations']:
            annotations.append(_object_annotation(len(annotations) + 1, image_id, img,
                                                  object_ids[img['file_name'].split('/')[0]]))
    return dict(info=dict(description=f'PIN++ parts ({split}), converted by mmpart',
                          version=str(CONVERTER_VERSION)),
                images=coco_images, annotations=annotations, categories=categories)


def _object_annotation(ann_id: int, image_id: int, img: dict, category_id: int) -> dict:
    """The object instance of an image: union of its parts (polygons if all parts are polygons, else RLE)."""
    height, width = img['height'], img['width']
    segmentations = [ann['segmentation'] for ann in img['annotations']]
    rles = []
    for seg in segmentations:
        if isinstance(seg, list):
            rles += mask_utils.frPyObjects(seg, height, width)
        else:
            rles.append(dict(size=seg['size'], counts=seg['counts'].encode('ascii')))
    rle = mask_utils.merge(rles)
    if all(isinstance(seg, list) for seg in segmentations):
        segmentation = [p for seg in segmentations for p in seg]
    else:
        segmentation = rle_to_json(rle)
    return dict(id=ann_id, image_id=image_id, category_id=category_id, segmentation=segmentation,
                area=float(mask_utils.area(rle)), bbox=[float(v) for v in mask_utils.toBbox(rle)], iscrowd=0)


def _display_names(wnid: str, parts: List[Tuple[int, str]], names: Optional[ClassNames],
                   disagreements: Dict[str, dict]) -> List[Tuple[int, str]]:
    """Part names of a class: ``category_name.json``'s spelling where its names agree with the json."""
    if names is None or names.part_names is None:
        return parts
    by_norm = {normalize_name(n): n for n in names.part_names}
    json_norm = sorted(normalize_name(n) for _, n in parts)
    if json_norm == sorted(normalize_name(n) for n in names.part_names) and len(by_norm) == len(parts):
        return [(sid, by_norm[normalize_name(n)]) for sid, n in parts]
    disagreements[wnid] = {'json': [n for _, n in parts], 'category_name.json': list(names.part_names)}
    return parts


def _check_images_found(scans: List[dict], discarded: set, imagenet_root: str, max_missing_ratio: float) -> None:
    """Stop when none, or more than ``max_missing_ratio``, of the release's images are where they should be."""
    expected = sum(len([n for n in s['names'] if n not in discarded]) for s in scans)
    missing = [(s['wnid'], n) for s in scans for n in s['missing'] if n not in discarded]
    if not expected or (len(missing) < expected and len(missing) <= max_missing_ratio * expected):
        return
    wnid, name = missing[0]
    hint = ''
    subfolders = sorted(e.name for e in os.scandir(imagenet_root) if e.is_dir())[:100]
    for layout in _OTHER_LAYOUTS + tuple(f'{sub}/{{wnid}}/{{file}}' for sub in subfolders):
        candidate = osp.join(imagenet_root, layout.format(wnid=wnid, file=name))
        if osp.isfile(candidate):
            hint = (f' {name} is at {candidate}: pass {osp.dirname(osp.dirname(candidate))} as the image folder'
                    if '{wnid}' in layout else
                    f' {name} is at {candidate}, without its wnid folder: put the images in <wnid>/ folders')
            break
    message = (f'{len(missing)} of the {expected} images the release annotates (discarded ones not counted) are '
               f'not in {imagenet_root}, which should hold the IN-1K train images as <wnid>/<file>, e.g. '
               f'{osp.join(imagenet_root, wnid, name)}.{hint}')
    if len(missing) < expected:
        message += f' Raise --max-missing-ratio (now {max_missing_ratio}) to convert the images that are there.'
    raise ImagesNotFoundError(message)


def convert_pinpp(release_root: str, imagenet_root: str, out_dir: str, val_ratio: float = 0.1,
                  image_mode: str = 'symlink', with_objects: bool = False, nproc: int = 1,
                  wnids: Optional[Sequence[str]] = None, use_category_names: bool = True,
                  use_discarded: bool = True, max_missing_ratio: float = 0.1) -> dict:
    """Convert a PIN++ release; returns the summary that is also written to ``summary.json``.

    Args:
        release_root: the unpacked release (``json/``, ``category_name.json``, ...).
        imagenet_root: IN-1K train folder with ``<wnid>/<file>`` images.
        out_dir: where the layouts are written.
        val_ratio: share of each class's annotated images put in the val split.
        image_mode: how ``img/`` is filled: ``symlink`` (relative links), ``hardlink`` or ``copy``.
        with_objects: also add object classes and their instances (union of parts) to the COCO files.
        nproc: worker processes, one class per task.
        wnids: convert only these classes (default: all in the release).
        use_category_names: read ``category_name.json`` (object names, part name spelling).
        use_discarded: skip the images of ``discarded_data.json``.
        max_missing_ratio: stop with :class:`ImagesNotFoundError` before writing anything when more than
            this share of the (not discarded) images is missing from ``imagenet_root``, or all of them.
    """
    if image_mode not in IMAGE_MODES:
        raise ValueError(f'image_mode must be one of {IMAGE_MODES}, got {image_mode!r}')
    if not 0 <= val_ratio < 1:
        raise ValueError(f'val_ratio must be in [0, 1), got {val_ratio}')
    if not osp.isdir(imagenet_root):
        raise ImagesNotFoundError(f'{imagenet_root}: no such folder; expected the IN-1K train images as '
                                  '<wnid>/<file>')
    release = PINPPRelease(release_root)
    all_wnids = release.wnids()
    wnids = sorted(wnids) if wnids is not None else all_wnids
    unknown = sorted(set(wnids) - set(all_wnids))
    if unknown:
        raise ValueError(f'{release.json_dir}: no annotation file for {unknown}')
    class_names = release.category_names() if use_category_names else {}
    discarded = release.discarded() if use_discarded else set()
    scans = _run(_scan_class, [(release_root, w, imagenet_root) for w in wnids], nproc)
    _check_images_found(scans, discarded, imagenet_root, max_missing_ratio)

    disagreements: Dict[str, dict] = {}
    table = PartIdTable([(s['wnid'], getattr(class_names.get(s['wnid']), 'object_name', None) or s['wnid'],
                          _display_names(s['wnid'], s['parts'], class_names.get(s['wnid']), disagreements))
                         for s in scans])
    warnings = _release_warnings(scans, disagreements, class_names, release)
    tasks = [(release_root, s['wnid'], {sid: table.global_id(s['wnid'], sid) for sid, _ in s['parts']},
              imagenet_root, out_dir, image_mode, sorted(n for n in s['names'] if n in discarded)) for s in scans]
    os.makedirs(out_dir, exist_ok=True)
    results = _run(_convert_class, tasks, nproc)
    table.dump(osp.join(out_dir, 'part_ids.json'))
    return _write_views(results, table, out_dir, val_ratio, with_objects, warnings)


def _run(func, tasks: list, nproc: int) -> list:
    """``func`` over ``tasks`` with a progress bar, in ``nproc`` processes (results in task order)."""
    if nproc > 1 and len(tasks) > 1:
        return track_parallel_progress(func, tasks, nproc)
    return track_progress(func, tasks)


def _release_warnings(scans: List[dict], disagreements: Dict[str, dict], class_names: Dict[str, ClassNames],
                      release: PINPPRelease) -> dict:
    """Warn (and return for the summary) what the release says inconsistently."""
    unmatched = {s['wnid']: s['unmatched_including'] for s in scans if s['unmatched_including']}
    if unmatched:
        listed = '; '.join(f'{w}: {", ".join(n)}' for w, n in list(unmatched.items())[:10])
        print_log(f'including/: {sum(map(len, unmatched.values()))} part names in {len(unmatched)} classes match '
                  f'no category of their json (case and spacing ignored), so their containment is not used: '
                  f'{listed}{" ..." if len(unmatched) > 10 else ""} (all in summary.json)',
                  logger='current', level=logging.WARNING)
    if disagreements:
        listed = '; '.join(f'{w}: json {d["json"]} vs {d["category_name.json"]}'
                           for w, d in list(disagreements.items())[:10])
        print_log(f'{release.category_name_file}: the part names of {len(disagreements)} classes disagree with '
                  f'their json, whose names are kept: {listed}{" ..." if len(disagreements) > 10 else ""} '
                  '(all in summary.json)', logger='current', level=logging.WARNING)
    without = sorted(set(s['wnid'] for s in scans) - set(class_names))
    if class_names and without:
        print_log(f'{release.category_name_file}: no names for {len(without)} classes (e.g. {without[:5]}); their '
                  'wnid is used as object name', logger='current', level=logging.WARNING)
    return dict(unmatched_including=unmatched, part_name_disagreements=disagreements,
                classes_without_names=without if class_names else [])


def _part_count_report(table: PartIdTable) -> dict:
    counts = table.part_counts()
    return dict(
        total=table.num_parts, classes=len(counts), paper=PAPER_NUM_PARTS, authors_code=AUTHORS_CODE_NUM_PARTS,
        num_classes={kind: table.num_classes(kind) for kind in CLASS_COUNT_KINDS},
        per_class=counts,
        authors_code_check={w: dict(release=counts[w], authors_code=n) for w, n in AUTHORS_CODE_PART_COUNTS.items()
                            if w in counts})


def format_part_counts(summary: dict, per_line: int = 6) -> str:
    """The part-count report of a converter summary as text (printed by the converter's CLI)."""
    report = summary['part_counts']
    lines = [f'parts: {report["total"]} over {report["classes"]} classes (full release: the paper says '
             f'{report["paper"]:,}, the authors\' training code lists {report["authors_code"]:,})',
             'num_classes of the heads: ' + ', '.join(f'{kind} {n}' for kind, n in report['num_classes'].items())]
    histogram = Counter(report['per_class'].values())
    lines.append('parts per class: ' + ', '.join(f'{k}: {histogram[k]} classes' for k in sorted(histogram)))
    lines.append('per class:')
    items = [f'{w} {n:>2}' for w, n in report['per_class'].items()]
    lines += ['  ' + '   '.join(items[i:i + per_line]) for i in range(0, len(items), per_line)]
    check = report['authors_code_check']
    if check:
        differ = {w: c for w, c in check.items() if c['release'] != c['authors_code']}
        lines.append(f'spot check against the authors\' code: {len(check) - len(differ)} of {len(check)} classes '
                     'agree' + ''.join(f'; {w}: {c["release"]} here, {c["authors_code"]} in the code'
                                       for w, c in differ.items()))
    return '\n'.join(lines)


def _write_views(results: List[dict], table: PartIdTable, out_dir: str, val_ratio: float,
                 with_objects: bool, warnings: dict) -> dict:
    splits: Dict[str, List[dict]] = {'train': [], 'val': []}
    totals: Counter = Counter()
    per_class = {}
    for res in results:
        val = _val_indices(len(res['images']), val_ratio)
        for i, img in enumerate(res['images']):
            splits['val' if i in val else 'train'].append(img)
        lines = ''.join(f'{img["file_name"]} 0\n' for img in res['images'])
        atomic_write_text(osp.join(out_dir, 'whether_pseudo', f'{res["wnid"]}.txt'), lines)
        totals.update(res['counts'])
        per_class[res['wnid']] = dict(images=len(res['images']), **res['counts'])
    for split, images in splits.items():
        atomic_write_json(osp.join(out_dir, 'coco', f'pinpp_parts_{split}.json'),
                          _coco(images, table, with_objects, split))
        atomic_write_text(osp.join(out_dir, 'splits', f'{split}.txt'),
                          ''.join(osp.splitext(img['file_name'])[0] + '\n' for img in images))
    summary = dict(
        classes=len(results), parts=table.num_parts,
        images=dict(train=len(splits['train']), val=len(splits['val'])),
        annotations=sum(len(img['annotations']) for imgs in splits.values() for img in imgs),
        part_counts=_part_count_report(table),
        reported={reason: totals.get(reason, 0) for reason in REASONS},
        warnings=warnings,
        examples={res['wnid']: res['examples'] for res in results if res['examples']},
        per_class=per_class)
    atomic_write_json(osp.join(out_dir, 'summary.json'), summary, indent=1)
    return summary
