"""Synthetic PartImageNet: a small split with disjoint train / val / test classes, in a release layout.

Tests and ``make demo-benchmarks`` exercise few-shot classification (disjoint classes per split, as the
OOD release) and part discovery / part-aware pretraining (PartImageNet's 40 parts) on it. The objects are
those of the synthetic PIN++ set (:mod:`mmpart.datasets.converters.synthetic_pinpp`, whose drawing code
is reused): every synthetic class is one of 7 templates (quadruped, fish, bird, car, snake, bottle,
airplane — the house has no PartImageNet super-category) with its own textures and colours, and each
template part is mapped to a PartImageNet part (:data:`TEMPLATE_PARTS`; e.g. a car window is
``Car Body``, a bird's beak ``Bird Head``). Classes go to train, then val, then test, so every split
holds new texture/colour combinations of shapes the train split has. Layouts written:

``layout='ood'`` (the OOD / few-shot release)::

    OUT_DIR/{train,val,test}/<wnid>/<wnid>_<n>.JPEG
    OUT_DIR/{train,val,test}.json          COCO parts, category ids 0..39, file_name without folder

``layout='seg'`` (the Seg release)::

    OUT_DIR/images/{train,val,test}/<wnid>_<n>.JPEG
    OUT_DIR/annotations/{train,val,test}/<wnid>_<n>.png   uint8 part ids 0..39, background 40
    OUT_DIR/annotations/{train,val,test}.json

plus ``OUT_DIR/synthetic_partimagenet.json``: the arguments, the classes of each split, their
super-categories. The PNGs are the json's polygons painted by
:func:`mmpart.datasets.transforms.rasterize_part_annotations` (smaller parts on top), the rule the
datasets use. Every image draws from a generator seeded by (seed, class, index): same arguments,
byte-identical files. A rerun replaces a previous synthetic output and refuses to write over anything else.
"""
import os
import os.path as osp
import shutil
from typing import Dict, List, Sequence, Tuple

import numpy as np
from mmengine.utils import ProgressBar
from PIL import Image

from mmpart.utils.atomic_io import atomic_write, atomic_write_json

from ..partimagenet_meta import (
    PARTIMAGENET_BACKGROUND,
    PARTIMAGENET_PART_TO_SUPERCATEGORY,
    PARTIMAGENET_PARTS,
    PARTIMAGENET_SUPERCATEGORIES,
)
from ..transforms.annotation_part_mask import rasterize_part_annotations
from .synthetic_pinpp import _TEMPLATES, _class_spec, _ClassSpec, _coco_annotation, _render, _write_jpeg

SPLITS = ('train', 'val', 'test')
LAYOUTS = ('ood', 'seg')
MARKER = 'synthetic_partimagenet.json'
_OUTPUTS = {'ood': (*SPLITS, *(f'{s}.json' for s in SPLITS)), 'seg': ('images', 'annotations')}
_SALT = 7  # keeps these images apart from the synthetic PIN++ images of the same class index

#: PartImageNet part of each synthetic template part
TEMPLATE_PARTS: Dict[str, Dict[str, str]] = {
    'quadruped': dict(tail='Quadruped Tail', leg='Quadruped Foot', body='Quadruped Body', head='Quadruped Head'),
    'fish': dict(tail='Fish Tail', fin='Fish Fin', body='Fish Body'),
    'bird': dict(tail='Bird Tail', beak='Bird Head', body='Bird Body', head='Bird Head', wing='Bird Wing'),
    'car': dict(body='Car Body', window='Car Body', wheel='Car Tier'),
    'snake': dict(body='Snake Body', head='Snake Head'),
    'bottle': dict(body='Bottle Body', neck='Bottle Mouth', cap='Bottle Mouth', label='Bottle Body'),
    'airplane': dict(wing='Aeroplane Wing', tail='Aeroplane Tail', body='Aeroplane Body', engine='Aeroplane Engine'),
}


def _template_of(k: int) -> str:
    return _TEMPLATES[k % len(_TEMPLATES)][0]


def usable_class_indices(count: int) -> List[int]:
    """The first ``count`` synthetic class indices whose template has a PartImageNet super-category."""
    return [k for k in range(2 * count + len(_TEMPLATES)) if _template_of(k) in TEMPLATE_PARTS][:count]


def _supercategory(spec: _ClassSpec) -> str:
    part = TEMPLATE_PARTS[_template_of(spec.index)][spec.parts[0].name]
    return PARTIMAGENET_SUPERCATEGORIES[PARTIMAGENET_PART_TO_SUPERCATEGORY[PARTIMAGENET_PARTS.index(part)]]


def _part_annotations(spec: _ClassSpec, parts: list) -> List[dict]:
    """One COCO annotation per PartImageNet part of the image (template parts mapped onto it merged)."""
    mapping = TEMPLATE_PARTS[_template_of(spec.index)]
    polygons: Dict[int, List[List[float]]] = {}
    for template_id, polys in parts:
        category_id = PARTIMAGENET_PARTS.index(mapping[spec.parts[template_id - 1].name])
        polygons.setdefault(category_id, []).extend(poly.ravel().tolist() for poly in polys)
    return [_coco_annotation(cid, segmentation) for cid, segmentation in polygons.items()]


def _prepare_out_dir(out_dir: str, arguments: dict) -> None:
    """Remove a previous synthetic output (known by its marker), refusing to touch anything else; write the
    new marker (its summary is added when the run completes)."""
    names = {name for outputs in _OUTPUTS.values() for name in outputs}
    existing = sorted(osp.join(out_dir, name) for name in names if osp.lexists(osp.join(out_dir, name)))
    if existing and not osp.isfile(osp.join(out_dir, MARKER)):
        raise FileExistsError(f'{existing[0]} exists and {osp.join(out_dir, MARKER)} does not, so it was not '
                              'written by make_synthetic_partimagenet; remove it or choose another directory')
    for path in existing:
        if osp.isdir(path) and not osp.islink(path):
            shutil.rmtree(path)
        else:
            os.remove(path)
    atomic_write_json(osp.join(out_dir, MARKER), dict(arguments=arguments), indent=2)


def _paths(out_dir: str, layout: str, split: str, wnid: str, stem: str) -> Tuple[str, str]:
    """Image path and (seg layout) annotation PNG path of one image."""
    if layout == 'ood':
        return osp.join(out_dir, split, wnid, f'{stem}.JPEG'), ''
    return (osp.join(out_dir, 'images', split, f'{stem}.JPEG'),
            osp.join(out_dir, 'annotations', split, f'{stem}.png'))


def _write_png(path: str, mask: np.ndarray) -> None:
    with atomic_write(path) as f:
        Image.fromarray(mask).save(f, format='PNG')


def make_synthetic_partimagenet(out_dir: str, num_classes: Sequence[int] = (12, 5, 5), images_per_class: int = 20,
                                image_size: int = 84, seed: int = 0, layout: str = 'ood',
                                progress: bool = False) -> dict:
    """Write a synthetic PartImageNet split under ``out_dir`` (see the module docstring).

    Args:
        out_dir: output folder; a previous synthetic output there is replaced.
        num_classes: classes of the train, val and test splits (disjoint).
        images_per_class: images of every class.
        image_size: side of the square RGB images.
        seed: base seed; each image's generator is seeded by (seed, class, index).
        layout: 'ood' (``{split}/<wnid>/`` folders, the few-shot release) or 'seg' (flat images and PNGs).
        progress: show a progress bar.

    Returns:
        ``splits`` ({split: [wnids]}), ``supercategories`` ({wnid: name}), ``names``, ``counts``.
    """
    if layout not in LAYOUTS:
        raise ValueError(f'layout must be one of {LAYOUTS}, got {layout!r}')
    if len(num_classes) != len(SPLITS) or min(num_classes) < 1 or images_per_class < 1 or image_size < 32 or seed < 0:
        raise ValueError('need 3 class counts >= 1 (train, val, test), images_per_class >= 1, image_size >= 32 '
                         f'and seed >= 0; got num_classes={tuple(num_classes)}, images_per_class={images_per_class}, '
                         f'image_size={image_size}, seed={seed}')
    arguments = dict(num_classes=list(num_classes), images_per_class=images_per_class, image_size=image_size,
                     seed=seed, layout=layout)
    _prepare_out_dir(out_dir, arguments)
    indices = usable_class_indices(sum(num_classes))
    bounds = np.cumsum([0, *num_classes])
    specs = {split: [_class_spec(k) for k in indices[bounds[i]:bounds[i + 1]]] for i, split in enumerate(SPLITS)}
    bar = ProgressBar(sum(num_classes) * images_per_class) if progress else None
    for split, split_specs in specs.items():
        images, annotations = [], []
        for spec in split_specs:
            for i in range(images_per_class):
                stem = f'{spec.wnid}_{i}'
                pixels, parts = _render(spec, np.random.default_rng([seed, spec.index, _SALT, i]), image_size)
                image_path, png_path = _paths(out_dir, layout, split, spec.wnid, stem)
                _write_jpeg(image_path, pixels)
                image_id = len(images) + 1
                images.append({'id': image_id, 'file_name': f'{stem}.JPEG', 'width': image_size,
                               'height': image_size})
                anns = _part_annotations(spec, parts)
                annotations += [{**ann, 'id': len(annotations) + j + 1, 'image_id': image_id}
                                for j, ann in enumerate(anns)]
                if png_path:
                    ids = rasterize_part_annotations(anns, image_size, image_size).astype(np.int64) - 1
                    _write_png(png_path, np.where(ids < 0, PARTIMAGENET_BACKGROUND, ids).astype(np.uint8))
                if bar is not None:
                    bar.update()
        categories = [{'id': i, 'name': name, 'supercategory': PARTIMAGENET_SUPERCATEGORIES[s]}
                      for i, (name, s) in enumerate(zip(PARTIMAGENET_PARTS, PARTIMAGENET_PART_TO_SUPERCATEGORY))]
        json_path = osp.join(out_dir, f'{split}.json') if layout == 'ood' else osp.join(out_dir, 'annotations',
                                                                                       f'{split}.json')
        atomic_write_json(json_path, {'images': images, 'annotations': annotations, 'categories': categories})
    summary = {
        'splits': {split: [s.wnid for s in split_specs] for split, split_specs in specs.items()},
        'supercategories': {s.wnid: _supercategory(s) for split_specs in specs.values() for s in split_specs},
        'names': {s.wnid: s.name for split_specs in specs.values() for s in split_specs},
        'counts': {split: len(split_specs) * images_per_class for split, split_specs in specs.items()},
    }
    atomic_write_json(osp.join(out_dir, MARKER), dict(arguments=arguments, **summary), indent=2)
    return summary
