"""Pipeline steps that keep the image and its part mask aligned."""
from .annotation_part_mask import LoadPartMaskFromAnnotations, rasterize_part_annotations
from .formatting import PackPartInputs
from .joint_geometry import JointRandomResizedCrop, JointResizeEdge
from .loading import LoadPartMask
from .object_mask import PartMaskToObjectMask
from .padded_center_crop import PaddedCenterCrop

__all__ = ['LoadPartMask', 'JointRandomResizedCrop', 'JointResizeEdge', 'PackPartInputs', 'LoadPartMaskFromAnnotations',
           'PartMaskToObjectMask', 'PaddedCenterCrop', 'rasterize_part_annotations']
