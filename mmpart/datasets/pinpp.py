"""PIN++ datasets over the converter's output (``tools/dataset_converters/pinpp.py``).

* :class:`PINPPDataset` — classification: image, label, part mask (or none), pseudo flag;
* :class:`PINPPSegDataset` — mmseg view (``splits/*.txt`` over ``img/`` and ``seg/``);
* :class:`PINPPCocoDataset` — mmdet view of ``coco/pinpp_parts_*.json``.

All three take class and part names from ``part_ids.json``, the converter's id table, and check the
``num_classes`` they are configured with (the number the config also gives the model's head) against it
when they are built: a mismatch stops with an error naming both numbers and the file.
"""
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
from mmdet.datasets import CocoDataset
from mmengine.fileio import list_from_file
from mmpretrain.datasets import CustomDataset
from mmseg.datasets import BaseSegDataset

from mmpart.registry import DATASETS

from .part_id_table import IGNORE_INDEX, PartIdTable, check_num_classes
from .upstream_scope import PipelineInUpstreamScope

__all__ = ['PINPPDataset', 'PINPPSegDataset', 'PINPPCocoDataset']

DEFAULT_PREFIX = dict(img_path='img', seg_map_path='seg', pseudo_path='whether_pseudo')


def _sample_key(rel_path: str) -> str:
    """``<wnid>/<stem>`` of a path relative to the image (or mask) root."""
    wnid, name = rel_path.replace(os.sep, '/').split('/')[-2:]
    return f'{wnid}/{osp.splitext(name)[0]}'


def _table_path(data_root: str, part_id_file: str) -> str:
    return part_id_file if osp.isabs(part_id_file) else osp.join(data_root, part_id_file)


def _load_table(data_root: str, part_id_file: Optional[str]) -> Optional[PartIdTable]:
    if not part_id_file:
        return None
    path = _table_path(data_root, part_id_file)
    return PartIdTable.load(path) if osp.isfile(path) else None


def _require_table(owner: str, data_root: str, part_id_file: Optional[str]) -> PartIdTable:
    table = _load_table(data_root, part_id_file)
    if table is None:
        raise FileNotFoundError(f'{owner}: part id table {_table_path(data_root, part_id_file or "")} not found; '
                                'run tools/dataset_converters/pinpp.py first')
    return table


@DATASETS.register_module()
class PINPPDataset(CustomDataset):
    """ImageNet-style classification samples with their PIN++ part masks.

    Images are found as in mmpretrain's ``CustomDataset`` (``<img_path>/<wnid>/<file>`` folders, or
    an ``ann_file`` of ``<wnid>/<file> <label>`` lines). Each sample also gets ``seg_map_path``
    (``<seg_map_path>/<wnid>/<stem>.png`` if it exists, else ``None``: images with no mask are
    allowed) and ``is_pseudo`` (from ``<pseudo_path>/<wnid>.txt`` lines ``<path> 0|1``).

    Args:
        data_prefix: folders (relative to ``data_root``) with keys ``img_path``, ``seg_map_path``
            and ``pseudo_path``; a missing mask or pseudo folder means no masks / no pseudo labels.
        extra_mask_roots: further folders with ``seg/`` and ``whether_pseudo/`` (the output of
            ``tools/pseudo_label.py``), relative to ``data_root``. An image takes its mask from the
            first place that has one: ``data_prefix`` (GT) first, then these in order.
        part_id_file: the converter's id table; its part names become ``metainfo['part_classes']``.
        num_part_classes: the part head's ``num_classes`` (background + parts), checked against the
            table (which must then exist); ``None`` skips the check.
        **kwargs: passed to :class:`mmpretrain.datasets.CustomDataset`.
    """

    def __init__(self, data_root: str = '', data_prefix: Union[str, dict] = DEFAULT_PREFIX,
                 extra_mask_roots: Sequence[str] = (), part_id_file: Optional[str] = 'part_ids.json',
                 num_part_classes: Optional[int] = None, seg_map_suffix: str = '.png', **kwargs) -> None:
        if isinstance(data_prefix, str):
            data_prefix = dict(img_path=data_prefix)
        self.seg_map_suffix = seg_map_suffix
        self.extra_mask_roots = [osp.join(data_root, r) for r in extra_mask_roots]
        if num_part_classes is None:
            self.part_table = _load_table(data_root, part_id_file)
        else:
            self.part_table = _require_table(type(self).__name__, data_root, part_id_file)
            check_num_classes(num_part_classes, self.part_table, _table_path(data_root, part_id_file),
                              'segmentation', f'{type(self).__name__} (num_part_classes)')
        metainfo = dict(kwargs.pop('metainfo', None) or {})
        if self.part_table is not None:
            metainfo.setdefault('part_classes', self.part_table.class_names())
        super().__init__(data_root=data_root, data_prefix=data_prefix, metainfo=metainfo, **kwargs)

    def _mask_and_pseudo_folders(self) -> List[Tuple[Optional[str], Optional[str]]]:
        """``(mask folder, pseudo flag folder)`` pairs in priority order."""
        return [(self.data_prefix.get('seg_map_path'), self.data_prefix.get('pseudo_path'))] + [
            (osp.join(root, 'seg'), osp.join(root, 'whether_pseudo')) for root in self.extra_mask_roots]

    def _scan_masks(self, root: Optional[str]) -> Dict[str, str]:
        masks: Dict[str, str] = {}
        if not root or not osp.isdir(root):
            return masks
        for wnid in sorted(os.listdir(root)):
            folder = osp.join(root, wnid)
            if not osp.isdir(folder):
                continue
            for entry in os.scandir(folder):
                if entry.name.endswith(self.seg_map_suffix) and not entry.name.startswith('.'):
                    masks[f'{wnid}/{entry.name[:-len(self.seg_map_suffix)]}'] = entry.path
        return masks

    @staticmethod
    def _read_pseudo_flags(root: Optional[str]) -> Dict[str, bool]:
        flags: Dict[str, bool] = {}
        if not root or not osp.isdir(root):
            return flags
        for name in sorted(os.listdir(root)):
            if not name.endswith('.txt'):
                continue
            path, wnid = osp.join(root, name), name[:-len('.txt')]
            for lineno, line in enumerate(list_from_file(path), 1):
                parts = line.split()
                if not parts:
                    continue
                if len(parts) != 2 or parts[1] not in ('0', '1'):
                    raise ValueError(f'{path}:{lineno}: expected "<path> 0|1", got {line!r}')
                flags[f'{wnid}/{osp.splitext(osp.basename(parts[0]))[0]}'] = parts[1] == '1'
        return flags

    def load_data_list(self) -> List[dict]:
        """mmpretrain's samples, each with ``seg_map_path`` and ``is_pseudo``."""
        data_list = super().load_data_list()
        sources = [(self._scan_masks(seg), self._read_pseudo_flags(pseudo))
                   for seg, pseudo in self._mask_and_pseudo_folders()]
        for info in data_list:
            key = _sample_key(osp.relpath(info['img_path'], self.img_prefix))
            info['seg_map_path'], info['is_pseudo'] = None, False
            for masks, pseudo in sources:
                if key in masks:
                    info['seg_map_path'], info['is_pseudo'] = masks[key], pseudo.get(key, False)
                    break
        return data_list


@DATASETS.register_module()
class PINPPSegDataset(PipelineInUpstreamScope, BaseSegDataset):
    """mmseg dataset over the converter's ``splits/{train,val}.txt``, ``img/`` and ``seg/``.

    Classes are ``background`` + every part of ``part_ids.json`` (id = global part id). Masks are
    uint16, so load them with ``dict(type='LoadPartMask', _scope_='mmpart')`` (mmseg's
    ``LoadAnnotations`` casts to uint8); the ignore index is 65535 because 255 is a real part id in
    PIN++. The pipeline is built in the mmseg scope.

    Args:
        num_classes: the decode head's ``num_classes`` (background + parts), checked against the
            table; ``None`` skips the check.
    """

    pipeline_scope = 'mmseg'

    def __init__(self, data_root: str = '', ann_file: str = 'splits/train.txt',
                 data_prefix: dict = None,
                 part_id_file: str = 'part_ids.json', num_classes: Optional[int] = None, img_suffix: str = '.JPEG',
                 seg_map_suffix: str = '.png', ignore_index: int = IGNORE_INDEX, **kwargs) -> None:
        if data_prefix is None:
            data_prefix = dict(img_path='img', seg_map_path='seg')
        table = _require_table(type(self).__name__, data_root, part_id_file)
        check_num_classes(num_classes, table, _table_path(data_root, part_id_file), 'segmentation',
                          type(self).__name__)
        metainfo = dict(kwargs.pop('metainfo', None) or {})
        metainfo.setdefault('classes', table.class_names())
        super().__init__(data_root=data_root, ann_file=ann_file, data_prefix=data_prefix,
                         img_suffix=img_suffix, seg_map_suffix=seg_map_suffix, metainfo=metainfo,
                         ignore_index=ignore_index, **kwargs)


@DATASETS.register_module()
class PINPPCocoDataset(PipelineInUpstreamScope, CocoDataset):
    """mmdet dataset over ``coco/pinpp_parts_{train,val}.json``; classes from ``part_ids.json``.

    Args:
        with_objects: the json was written with ``--with-objects``: object classes (wnids) follow
            the parts.
        num_classes: the detector heads' ``num_classes`` (parts, + object classes with
            ``with_objects``), checked against the table; ``None`` skips the check.

    The pipeline is built in the mmdet scope.
    """

    pipeline_scope = 'mmdet'

    def __init__(self, data_root: str = '', ann_file: str = 'coco/pinpp_parts_train.json',
                 data_prefix: dict = None, part_id_file: str = 'part_ids.json',
                 with_objects: bool = False, num_classes: Optional[int] = None, **kwargs) -> None:
        if data_prefix is None:
            data_prefix = dict(img='img/')
        table = _require_table(type(self).__name__, data_root, part_id_file)
        check_num_classes(num_classes, table, _table_path(data_root, part_id_file),
                          'parts_and_objects' if with_objects else 'parts', type(self).__name__)
        classes = table.class_names()[1:] + (tuple(table.wnids) if with_objects else ())
        metainfo = dict(kwargs.pop('metainfo', None) or {})
        metainfo.setdefault('classes', classes)
        # CocoDataset's METAINFO palette has COCO's 80 colours: give every class its own
        metainfo.setdefault('palette', [tuple(c) for c in np.random.RandomState(42).randint(
            0, 256, (len(metainfo['classes']), 3)).tolist()])
        super().__init__(data_root=data_root, ann_file=ann_file, data_prefix=data_prefix,
                         metainfo=metainfo, **kwargs)
