"""Object masks from part masks: every part pixel becomes its object class."""
import numpy as np
from mmcv.transforms import BaseTransform

from mmpart.registry import TRANSFORMS

from ..part_id_table import IGNORE_INDEX, PartIdTable

__all__ = ['PartMaskToObjectMask']


@TRANSFORMS.register_module()
class PartMaskToObjectMask(BaseTransform):
    """Replace the part ids of ``gt_seg_map`` by object ids: ``1 + k`` for the parts of the ``k``-th object class
    of the part id table (wnid order: the IN-1K label order), background 0 and ignored pixels stay.

    PIN++ parts are defined per object class, so the converter's part masks and ``part_ids.json`` determine the
    object masks exactly, the pseudo labels' too (they hold the parts of the image's own class): supervising MPM's
    bypass with them (1,000 objects + background) instead of the parts is the ablation that asks whether the parts
    matter or only the object's silhouette. Put it after :class:`LoadPartMask`.

    **Required Keys:** ``gt_seg_map`` (part ids). **Modified Keys:** ``gt_seg_map`` (object ids, uint16).

    Args:
        part_id_file: the ``part_ids.json`` the masks were written with.
    """

    def __init__(self, part_id_file: str) -> None:
        self.part_id_file = part_id_file
        table = PartIdTable.load(part_id_file)
        self.num_parts = table.num_parts
        self.lookup = np.zeros(table.num_parts + 1, dtype=np.uint16)
        for k, wnid in enumerate(table.wnids):
            self.lookup[table.part_ids_of(wnid)] = k + 1

    def transform(self, results: dict) -> dict:
        mask = results['gt_seg_map']
        valid = mask != IGNORE_INDEX
        unknown = valid & (mask > self.num_parts)
        if unknown.any():
            raise ValueError(f'{results.get("seg_map_path")}: part id {int(mask[unknown][0])} is not in '
                             f'{self.part_id_file} ({self.num_parts} parts)')
        results['gt_seg_map'] = np.where(valid, self.lookup[np.where(valid, mask, 0)], mask).astype(np.uint16)
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(part_id_file={self.part_id_file!r})'
