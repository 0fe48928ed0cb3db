"""PartImageNet classification views (labels from the wnid) of both releases, optionally with part masks."""
import json
import os
import os.path as osp
from collections import defaultdict
from typing import Dict, List, Sequence, Union

from mmpretrain.datasets import BaseDataset

from mmpart.registry import DATASETS

from .partimagenet_meta import PARTIMAGENET_PART_TO_SUPERCATEGORY, PARTIMAGENET_PARTS, PARTIMAGENET_SUPERCATEGORIES

__all__ = ['PartImageNetClsDataset', 'supercategories_from_annotations']

SPLITS = ('train', 'val', 'test')
IMAGE_SUFFIXES = ('.jpeg', '.jpg', '.png')
#: names of the mask ids :class:`LoadPartMaskFromAnnotations` paints (background 0, part id + 1)
PART_MASK_CLASSES = ('Background', ) + PARTIMAGENET_PARTS


def _is_listed(name: str) -> bool:
    """Whether a directory entry is data (not macOS zip junk: ``__MACOSX``, ``._*``, hidden files)."""
    return not (name.startswith('.') or name == '__MACOSX')


def _wnid_of(file_name: str) -> str:
    """``n01440764`` of ``n01440764_123.JPEG`` (PartImageNet names every image ``<wnid>_<n>``)."""
    return osp.basename(file_name).split('_')[0]


def supercategories_from_annotations(ann_file: str, wnids: Sequence[str]) -> Dict[str, str]:
    """Super-category of each wnid, read off the part categories of its images in a release json.

    Every part id belongs to one super-category (``PARTIMAGENET_PART_TO_SUPERCATEGORY``), and all parts of
    a class's images belong to the class's super-category. Raises naming the file if a wnid has no
    annotation or parts of several super-categories.
    """
    with open(ann_file) as f:
        coco = json.load(f)
    wnid_of_image = {img['id']: _wnid_of(img['file_name']) for img in coco['images']}
    found: Dict[str, set] = defaultdict(set)
    for ann in coco['annotations']:
        category = ann['category_id']
        if not 0 <= category < len(PARTIMAGENET_PARTS):
            raise ValueError(f'{ann_file}: annotation {ann.get("id")} has category id {category}, expected a '
                             f'PartImageNet part id 0..{len(PARTIMAGENET_PARTS) - 1}')
        found[wnid_of_image[ann['image_id']]].add(PARTIMAGENET_PART_TO_SUPERCATEGORY[category])
    missing = sorted(w for w in wnids if not found.get(w))
    if missing:
        raise ValueError(f'{ann_file}: no part annotation for {len(missing)} classes (e.g. {missing[0]!r}), so '
                         'their super-category is unknown; pass wnid_to_supercategory')
    mixed = sorted(w for w in wnids if len(found[w]) > 1)
    if mixed:
        names = sorted(PARTIMAGENET_SUPERCATEGORIES[s] for s in found[mixed[0]])
        raise ValueError(f'{ann_file}: the images of {mixed[0]!r} have parts of several super-categories {names}')
    return {w: PARTIMAGENET_SUPERCATEGORIES[found[w].pop()] for w in wnids}


@DATASETS.register_module()
class PartImageNetClsDataset(BaseDataset):
    """Image classification over one split of a PartImageNet release; the label comes from the wnid.

    Releases (``release='auto'`` picks the one found under ``data_root``):

    * ``'ood'``: ``{split}/<wnid>/*.JPEG`` and ``{split}.json`` — the few-shot release, whose splits hold
      disjoint classes (train 109, val 19, test 30);
    * ``'seg'``: ``images/{split}/<wnid>_<n>.JPEG`` (flat) and ``annotations/{split}.json``.

    Label spaces:

    * ``'split'``: the wnids of this split, sorted (the few-shot view: 109 train classes);
    * ``'release'``: the wnids of all splits of the release, sorted (the 158-class view);
    * ``'supercategory'``: the 11 super-categories, from ``wnid_to_supercategory`` or else read off the
      part categories of the split's json (:func:`supercategories_from_annotations`).

    ``metainfo=dict(classes=...)`` fixes the class list (e.g. an official wnid order); every wnid found
    must be in it. With ``with_part_masks=True`` each sample carries its part annotations from the json
    (``part_annotations``, None for an image the json does not list), which
    :class:`LoadPartMaskFromAnnotations` paints into a mask (background 0, part id + 1; names in
    ``metainfo['part_classes']``) — the masks an MPM part head trains on. macOS zip entries are skipped;
    grayscale JPEGs load as RGB through ``LoadImageFromFile``.

    Args:
        data_root: the release's root folder.
        split: 'train', 'val' or 'test'.
        release: 'auto', 'ood' or 'seg'.
        label_space: 'split', 'release' or 'supercategory'.
        with_part_masks: attach the json's part annotations to every sample.
        ann_file: the split's json (default: where the release keeps it); read for super-categories and masks.
        wnid_to_supercategory: {wnid: super-category name}, or a json file holding it.
        **kwargs: other :class:`mmpretrain.datasets.BaseDataset` arguments (``pipeline``, ``metainfo``, ...).
    """

    RELEASES = ('auto', 'ood', 'seg')
    LABEL_SPACES = ('split', 'release', 'supercategory')

    def __init__(self, data_root: str, split: str = 'train', release: str = 'auto', label_space: str = 'split',
                 with_part_masks: bool = False, ann_file: str = '',
                 wnid_to_supercategory: Union[None, str, Dict[str, str]] = None, **kwargs) -> None:
        for name, value, allowed in (('split', split, SPLITS), ('release', release, self.RELEASES),
                                     ('label_space', label_space, self.LABEL_SPACES)):
            if value not in allowed:
                raise ValueError(f'{type(self).__name__}: {name} must be one of {allowed}, got {value!r}')
        self.split, self.label_space, self.with_part_masks = split, label_space, with_part_masks
        self.release = self._find_release(data_root, split) if release == 'auto' else release
        self.wnid_to_supercategory = wnid_to_supercategory
        if not ann_file:
            ann_file = f'{split}.json' if self.release == 'ood' else osp.join('annotations', f'{split}.json')
        metainfo = dict(kwargs.pop('metainfo', None) or {})
        if with_part_masks:
            metainfo.setdefault('part_classes', PART_MASK_CLASSES)
        super().__init__(ann_file=ann_file, data_root=data_root, metainfo=metainfo, **kwargs)

    @staticmethod
    def _image_dir(data_root: str, release: str, split: str) -> str:
        return osp.join(data_root, split) if release == 'ood' else osp.join(data_root, 'images', split)

    @classmethod
    def _find_release(cls, data_root: str, split: str) -> str:
        for release in ('ood', 'seg'):
            if osp.isdir(cls._image_dir(data_root, release, split)):
                return release
        raise FileNotFoundError(f'PartImageNetClsDataset: neither {osp.join(data_root, split)}/ (OOD release) nor '
                                f'{osp.join(data_root, "images", split)}/ (Seg release) exists')

    def _list_images(self, split: str) -> List[str]:
        """Sorted image paths of one split."""
        root = self._image_dir(self.data_root, self.release, split)
        if not osp.isdir(root):
            raise FileNotFoundError(f'{type(self).__name__}: {root} does not exist')
        if self.release == 'ood':
            files = [osp.join(root, wnid, name) for wnid in sorted(os.listdir(root))
                     if _is_listed(wnid) and osp.isdir(osp.join(root, wnid))
                     for name in sorted(os.listdir(osp.join(root, wnid))) if _is_listed(name)]
        else:
            files = [osp.join(root, name) for name in sorted(os.listdir(root)) if _is_listed(name)]
        files = [f for f in files if osp.splitext(f)[1].lower() in IMAGE_SUFFIXES]
        if not files:
            raise FileNotFoundError(f'{type(self).__name__}: no image in {root}')
        return files

    def _release_wnids(self) -> List[str]:
        wnids = set()
        for split in SPLITS:
            if osp.isdir(self._image_dir(self.data_root, self.release, split)):
                wnids.update(_wnid_of(path) for path in self._list_images(split))
        return sorted(wnids)

    def _supercategory_map(self, wnids: Sequence[str]) -> Dict[str, str]:
        given = self.wnid_to_supercategory
        if given is None:
            return supercategories_from_annotations(self.ann_file, wnids)
        source = given if isinstance(given, str) else 'wnid_to_supercategory'
        if isinstance(given, str):
            with open(given) as f:
                given = json.load(f)
        for wnid in wnids:
            if given.get(wnid) not in PARTIMAGENET_SUPERCATEGORIES:
                raise ValueError(f'{source}: {wnid!r} maps to {given.get(wnid)!r}, not one of '
                                 f'{PARTIMAGENET_SUPERCATEGORIES}')
        return {w: given[w] for w in wnids}

    def _part_annotations(self) -> Dict[str, dict]:
        """{file name: {'annotations', 'shape'}} from the split's json."""
        with open(self.ann_file) as f:
            coco = json.load(f)
        images = {img['id']: dict(name=osp.basename(img['file_name']), shape=(img['height'], img['width']),
                                  annotations=[]) for img in coco['images']}
        for ann in coco['annotations']:
            if ann['image_id'] not in images:
                raise ValueError(f'{self.ann_file}: annotation {ann.get("id")} refers to image id '
                                 f'{ann["image_id"]}, which the json does not list')
            images[ann['image_id']]['annotations'].append(
                dict(category_id=ann['category_id'], segmentation=ann['segmentation']))
        return {img['name']: img for img in images.values()}

    def load_data_list(self) -> List[dict]:
        """One sample per image of the split: ``img_path``, ``gt_label`` and, with masks, its part annotations."""
        files = self._list_images(self.split)
        wnids = sorted({_wnid_of(f) for f in files})
        if self.label_space == 'supercategory':
            mapping = self._supercategory_map(wnids)
            default_classes, key_of = PARTIMAGENET_SUPERCATEGORIES, mapping.__getitem__
        else:
            default_classes = tuple(wnids if self.label_space == 'split' else self._release_wnids())
            key_of = str
        classes = tuple(self._metainfo.get('classes') or default_classes)
        self._metainfo['classes'] = classes
        index = {name: i for i, name in enumerate(classes)}
        unknown = sorted({key_of(w) for w in wnids} - set(index))
        if unknown:
            raise ValueError(f'{type(self).__name__}: {unknown[0]!r} ({self.split} split under {self.data_root}) is '
                             'not in metainfo["classes"]')
        parts = self._part_annotations() if self.with_part_masks else {}
        data_list = []
        for path in files:
            info = dict(img_path=path, gt_label=index[key_of(_wnid_of(path))])
            if self.with_part_masks:
                entry = parts.get(osp.basename(path))
                info['part_annotations'] = None if entry is None else entry['annotations']
                info['part_annotation_shape'] = None if entry is None else entry['shape']
            data_list.append(info)
        return data_list

    def extra_repr(self) -> List[str]:
        return [f'Release: \t{self.release}', f'Split: \t{self.split}', f'Label space: \t{self.label_space}']
