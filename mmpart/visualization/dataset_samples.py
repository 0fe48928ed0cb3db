"""Pictures of dataset samples after their pipeline: the image with its part mask (PIN++ classification and
mmseg views) or part instances (COCO views), a legend of the part names and the object class."""
import os.path as osp
from typing import Dict, Optional, Sequence, Tuple

import numpy as np
from mmdet.structures import DetDataSample

from .figures import MIN_SIDE
from .part_masks import layer_of, packed_image, part_figure, readable_class_names

__all__ = ['sample_view', 'sample_figure']


def sample_view(sample, metainfo: dict) -> Tuple[Sequence[str], int]:
    """Class names of the sample's part labels and the colour offset (class index + offset = part id):
    ``part_classes`` for classification samples, ``classes`` of mmseg (index = part id) and COCO views
    (index 0 = part 1)."""
    if isinstance(sample, DetDataSample):
        return metainfo['classes'], 1
    if 'gt_label' in sample:
        return metainfo.get('part_classes') or ('background', ), 0
    return metainfo['classes'], 0


def _object_class(sample, metainfo: dict, object_names: Dict[str, str]) -> Optional[str]:
    """Display name of the sample's object: its label (classification), else the wnid its file name starts with."""
    if 'gt_label' in sample and metainfo.get('classes'):
        wnid = metainfo['classes'][int(sample.gt_label[0])]
    else:
        wnid = osp.basename(sample.img_path).split('_')[0]
        if not wnid.startswith('n'):
            return None
    name = object_names.get(wnid)
    return f'{name} ({wnid})' if name else wnid


def sample_figure(packed: dict, metainfo: dict, object_names: Optional[Dict[str, str]] = None,
                  min_side: int = MIN_SIDE, alpha: float = 0.6) -> np.ndarray:
    """One sample as a dataset's pipeline outputs it (``inputs`` C×H×W BGR, ``data_samples``): the image with
    its parts and a legend; the caption names the file, the object class and, for pseudo labels, says so.

    Args:
        metainfo: the dataset's ``metainfo`` (``classes``, ``part_classes`` of PIN++ classification sets).
        object_names: wnid → display name (e.g. ``PartIdTable.object_names``).
    """
    sample = packed['data_samples']
    classes, colour_offset = sample_view(sample, metainfo)
    caption = osp.basename(sample.img_path) if 'img_path' in sample else 'sample'
    object_class = _object_class(sample, metainfo, object_names or {})
    if object_class:
        caption += f'\nobject: {object_class}'
    if sample.metainfo.get('is_pseudo'):
        caption += ' (pseudo part labels)'
    return part_figure(packed_image(packed['inputs']), [(caption, layer_of(sample, 'gt'))],
                       readable_class_names(classes, object_names),
                       colour_offset=colour_offset, alpha=alpha, min_side=min_side)
