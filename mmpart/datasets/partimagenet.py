"""PartImageNet (158 classes, 40 parts): mmseg datasets of the part and whole-object masks, COCO dataset, metadata.

Both datasets reuse the upstream loaders and only add what the release needs: skipping the defects
listed in DESIGN §2.2 and finding images of the OOD release, which are stored per wnid folder while
their json ``file_name`` has no folder.
"""
import logging
import os.path as osp
from typing import List, Optional

from mmdet.datasets import CocoDataset
from mmengine import fileio
from mmengine.logging import print_log
from mmseg.datasets import BaseSegDataset

from mmpart.registry import DATASETS

from .converters.coco_segmentation import SegmentationError, clean_segmentation
from .converters.partimagenet_cleaner import is_macos_junk
from .partimagenet_meta import (
    PARTIMAGENET_BACKGROUND,
    PARTIMAGENET_BACKGROUND_NAME,
    PARTIMAGENET_NUM_OBJECT_CLASSES,
    PARTIMAGENET_OBJECT_BACKGROUND,
    PARTIMAGENET_PART_TO_SUPERCATEGORY,
    PARTIMAGENET_PARTS,
    PARTIMAGENET_PARTS_PALETTE,
    PARTIMAGENET_SEG_PALETTE,
    PARTIMAGENET_SUPERCATEGORIES,
    PARTIMAGENET_SUPERCATEGORY_NUM_CLASSES,
    partimagenet_parts_of,
    partimagenet_supercategory_of,
)
from .upstream_scope import PipelineInUpstreamScope


def _drop_degenerate_polygons(anns: List[dict]) -> List[dict]:
    """Drop polygons with fewer than 3 points, and annotations left without any polygon.

    Such polygons crash pycocotools' ``annToMask``. RLE segmentations are kept as they are.
    """
    cleaned = []
    for ann in anns:
        try:
            ann = {**ann, 'segmentation': clean_segmentation(ann.get('segmentation'))[0]}
        except SegmentationError:
            continue
        cleaned.append(ann)
    return cleaned


class _PartImageNetMasks(PipelineInUpstreamScope, BaseSegDataset):
    """Images of the Seg release (``images/{split}/``) with one PNG of class values each; background last.

    ``foreground_only``: the classes without the background, whose pixels become 255 through mmseg's
    ``label_map`` (applied by ``LoadAnnotations``; mmseg always maps dropped classes to 255, so keep
    ``ignore_index=255``). macOS zip entries are skipped, as are images without an annotation PNG (with
    a warning).
    """

    FOREGROUND: tuple = ()
    FOREGROUND_PALETTE: Optional[list] = None
    pipeline_scope = 'mmseg'

    def __init__(self, foreground_only: bool, img_suffix: str = '.JPEG', seg_map_suffix: str = '.png',
                 metainfo: Optional[dict] = None, **kwargs) -> None:
        if foreground_only:
            palette = {} if self.FOREGROUND_PALETTE is None else {'palette': self.FOREGROUND_PALETTE}
            metainfo = {'classes': self.FOREGROUND, **palette, **(metainfo or {})}
        super().__init__(img_suffix=img_suffix, seg_map_suffix=seg_map_suffix, metainfo=metainfo, **kwargs)

    def load_data_list(self) -> List[dict]:
        """List image/annotation pairs, without macOS junk and without images that lack an annotation."""
        data_list = [info for info in super().load_data_list() if not is_macos_junk(info['img_path'])]
        ann_dir = self.data_prefix.get('seg_map_path')
        if not ann_dir:
            return data_list
        annotated = [info for info in data_list
                     if fileio.exists(info['seg_map_path'], backend_args=self.backend_args)]
        img_dir = self.data_prefix.get('img_path')
        if not annotated:
            raise FileNotFoundError(f'{type(self).__name__}: none of the {len(data_list)} images in {img_dir} '
                                    f'has an annotation in {ann_dir}')
        if len(annotated) < len(data_list):
            print_log(f'{type(self).__name__}: {len(data_list) - len(annotated)} of {len(data_list)} images '
                      f'in {img_dir} have no annotation in {ann_dir}; skipped them.',
                      logger='current', level=logging.WARNING)
        return annotated


@DATASETS.register_module()
class PartImageNetSegDataset(_PartImageNetMasks):
    """PartImageNet Seg release for semantic part segmentation.

    Layout: ``images/{split}/<wnid>_<n>.JPEG`` and ``annotations/{split}/<wnid>_<n>.png`` whose values
    are part ids 0..39 and 40 for background, e.g.
    ``data_prefix=dict(img_path='images/train', seg_map_path='annotations/train')``.
    macOS zip entries are skipped, as are images without an annotation PNG (with a warning).

    Args:
        parts_only: 40 classes, and background pixels (40) become 255 (keep ``ignore_index=255``).
            By default there are 41 classes, 'Background' last.
        img_suffix: image file suffix.
        seg_map_suffix: annotation file suffix.
        metainfo: overrides the metainfo chosen by ``parts_only``.
        **kwargs: other ``BaseSegDataset`` arguments.
    """

    METAINFO = dict(classes=PARTIMAGENET_PARTS + (PARTIMAGENET_BACKGROUND_NAME,),
                    palette=list(PARTIMAGENET_SEG_PALETTE))
    FOREGROUND = PARTIMAGENET_PARTS
    FOREGROUND_PALETTE = list(PARTIMAGENET_PARTS_PALETTE)

    def __init__(self, parts_only: bool = False, **kwargs) -> None:
        super().__init__(foreground_only=parts_only, **kwargs)


@DATASETS.register_module()
class PartImageNetObjectSegDataset(_PartImageNetMasks):
    """PartImageNet Seg release for semantic segmentation of whole objects (158 classes).

    Layout: ``images/{split}/<wnid>_<n>.JPEG`` and ``annotations/{split}_whole/<wnid>_<n>.png`` whose
    values are the object classes 0..157 and 158 for background, e.g.
    ``data_prefix=dict(img_path='images/train', seg_map_path='annotations/train_whole')``. The release
    does not say which class each value is, so classes are named ``object 0`` .. ``object 157``
    (pass ``metainfo=dict(classes=...)`` with 159 names, background last, to name them).

    Args:
        objects_only: 158 classes, and background pixels (158) become 255 (keep ``ignore_index=255``).
            By default there are 159 classes, 'Background' last.
        **kwargs: as :class:`PartImageNetSegDataset`.
    """

    FOREGROUND = tuple(f'object {k}' for k in range(PARTIMAGENET_NUM_OBJECT_CLASSES))
    METAINFO = dict(classes=FOREGROUND + (PARTIMAGENET_BACKGROUND_NAME,))

    def __init__(self, objects_only: bool = False, **kwargs) -> None:
        super().__init__(foreground_only=objects_only, **kwargs)


@DATASETS.register_module()
class PartImageNetCocoDataset(PipelineInUpstreamScope, CocoDataset):
    """PartImageNet part instances from the COCO json of the Seg or the OOD release.

    Category ids in the json are the part ids 0..39, so labels equal category ids. Images are looked
    up at ``<data_prefix.img>/<file_name>`` (Seg release, flat) or
    ``<data_prefix.img>/<wnid>/<file_name>`` (OOD release, wnid = ``file_name.split('_')[0]``).
    Polygons with fewer than 3 points are dropped (and annotations left without polygons); json
    entries whose image is missing are dropped with a warning (an error if none is found); mmdet
    already drops annotations with area 0. With ``filter_cfg=dict(filter_empty_gt=True)``, images left
    without instances are dropped. An annotation id 0, which breaks ``CocoMetric``, is warned about.

    Args:
        image_layout: 'flat', 'wnid', or 'auto' (flat if that file exists, else wnid).
        **kwargs: ``CocoDataset`` arguments.
    """

    METAINFO = dict(classes=PARTIMAGENET_PARTS, palette=list(PARTIMAGENET_PARTS_PALETTE))
    pipeline_scope = 'mmdet'
    IMAGE_LAYOUTS = ('auto', 'flat', 'wnid')

    def __init__(self, *args, image_layout: str = 'auto', **kwargs) -> None:
        if image_layout not in self.IMAGE_LAYOUTS:
            raise ValueError(f'image_layout must be one of {self.IMAGE_LAYOUTS}, got {image_layout!r}')
        self.image_layout = image_layout
        super().__init__(*args, **kwargs)

    def load_data_list(self) -> List[dict]:
        """Load the json through ``CocoDataset``, then drop entries whose image file is missing."""
        data_list = super().load_data_list()
        found = [info for info in data_list if fileio.exists(info['img_path'], backend_args=self.backend_args)]
        if not found:
            raise FileNotFoundError(f'{type(self).__name__}: none of the {len(data_list)} images listed in '
                                    f'{self.ann_file} exists under {self.data_prefix.get("img")} '
                                    f'(image_layout={self.image_layout!r})')
        if len(found) < len(data_list):
            print_log(f'{type(self).__name__}: {len(data_list) - len(found)} of {len(data_list)} images '
                      f'listed in {self.ann_file} are missing under {self.data_prefix.get("img")}; '
                      'dropped them.', logger='current', level=logging.WARNING)
        return found

    def parse_data_info(self, raw_data_info: dict) -> dict:
        """``CocoDataset.parse_data_info`` on cleaned polygons, with the image path of the release."""
        if any(ann.get('id') == 0 for ann in raw_data_info['raw_ann_info']):  # ids are unique: warns once
            print_log(f'{type(self).__name__}: {self.ann_file} has an annotation with id 0; pycocotools\' '
                      'COCOeval counts a detection matched to it as a false positive, so renumber annotation '
                      'ids from 1 before evaluating with CocoMetric(ann_file=...).',
                      logger='current', level=logging.WARNING)
        raw_data_info['raw_ann_info'] = _drop_degenerate_polygons(raw_data_info['raw_ann_info'])
        data_info = super().parse_data_info(raw_data_info)
        data_info['img_path'] = self._image_path(raw_data_info['raw_img_info']['file_name'])
        return data_info

    def filter_data(self) -> List[dict]:
        """``CocoDataset.filter_data``, whose ``filter_empty_gt`` also drops images emptied by parsing.

        The upstream check only looks at the raw json, so it keeps images whose annotations were all
        dropped (degenerate polygons, area 0).
        """
        data_list = super().filter_data()
        if self.test_mode or not (self.filter_cfg or {}).get('filter_empty_gt', False):
            return data_list
        return [info for info in data_list if info['instances']]

    def _image_path(self, file_name: str) -> str:
        prefix = self.data_prefix.get('img', '')
        flat = osp.join(prefix, file_name)
        by_wnid = osp.join(prefix, osp.basename(file_name).split('_')[0], file_name)
        if self.image_layout == 'flat':
            return flat
        if self.image_layout == 'wnid':
            return by_wnid
        return flat if fileio.exists(flat, backend_args=self.backend_args) else by_wnid


__all__ = [
    'PartImageNetSegDataset', 'PartImageNetObjectSegDataset', 'PartImageNetCocoDataset', 'PARTIMAGENET_SUPERCATEGORIES',
    'PARTIMAGENET_SUPERCATEGORY_NUM_CLASSES', 'PARTIMAGENET_PARTS', 'PARTIMAGENET_PART_TO_SUPERCATEGORY',
    'PARTIMAGENET_BACKGROUND', 'PARTIMAGENET_BACKGROUND_NAME', 'PARTIMAGENET_PARTS_PALETTE',
    'PARTIMAGENET_SEG_PALETTE', 'partimagenet_parts_of', 'partimagenet_supercategory_of',
    'PARTIMAGENET_NUM_OBJECT_CLASSES', 'PARTIMAGENET_OBJECT_BACKGROUND'
]
