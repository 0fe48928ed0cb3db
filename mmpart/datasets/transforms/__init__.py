"""Pipeline steps that keep the image and its part mask aligned."""
from .annotation_part_mask import LoadPartMaskFromAnnotations, rasterize_part_annotations
from .formatting import PackPartInputs
from .joint_geometry import JointRandomResizedCrop, JointResizeEdge
from .loading import LoadPartMask
from .object_mask import PartMaskToObjectMask

__all__ = ['LoadPartMask', 'JointRandomResizedCrop', 'JointResizeEdge', 'PackPartInputs', 'LoadPartMaskFromAnnotations',
           'PartMaskToObjectMask', 'rasterize_part_annotations']
