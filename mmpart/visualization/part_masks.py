"""Readable pictures of part masks: GT vs predictions of segmentors, detectors and part bypasses, and the
samples of PIN++ datasets after their pipelines.

Masks and boxes are drawn with mmengine's ``Visualizer`` primitives; small images are upscaled (masks by
pixel repetition), part names go into a legend beside the image rather than over it, and every part id
has one colour (:func:`~mmpart.visualization.part_palette.part_colour`) in every picture and run.
"""
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Set, Tuple

import mmcv
import numpy as np
import torch
from mmdet.models.detectors import BaseDetector
from mmengine.dataset import pseudo_collate
from mmengine.structures import PixelData
from mmengine.visualization import Visualizer
from mmseg.models.segmentors import BaseSegmentor
from mmseg.structures import SegDataSample

from .figures import (
    MIN_SIDE,
    hstack,
    legend_panel,
    upscale_factor,
    upscale_image,
    upscale_mask,
    with_caption,
    write_png,
)
from .part_palette import part_colour

__all__ = ['PART_MODEL_KINDS', 'PartLayer', 'part_model_kind', 'predict_parts', 'layer_of', 'draw_layer',
           'part_figure', 'draw_parts', 'packed_image', 'readable_class_names']

PART_MODEL_KINDS = ('segmentor', 'detector', 'bypass')


def part_model_kind(model: torch.nn.Module) -> str:
    """'segmentor' (mmseg), 'detector' (mmdet) or 'bypass' (a classifier with ``predict_parts``, e.g. MPM)."""
    if isinstance(model, BaseSegmentor):
        return 'segmentor'
    if isinstance(model, BaseDetector):
        return 'detector'
    if callable(getattr(model, 'predict_parts', None)):
        return 'bypass'
    raise TypeError(f'{type(model).__name__} predicts no parts: expected an mmseg segmentor, an mmdet detector '
                    'or a classifier with a part bypass (predict_parts)')


@torch.no_grad()
def predict_parts(model: torch.nn.Module, kind: str, samples: List[dict]) -> list:
    """Data samples holding the ground truth and the prediction (``pred_sem_seg`` or ``pred_instances``).

    Segmentor and detector predictions are at the original image size (their test pipelines load the
    ground truth there too); a bypass predicts at the size of its input (the pipeline's output).
    """
    data = pseudo_collate(samples)
    if kind != 'bypass':
        return model.test_step(data)
    data = model.data_preprocessor(data, False)
    metas = [dict(s.metainfo, img_shape=tuple(data['inputs'].shape[2:])) for s in data['data_samples']]
    labels = model.predict_parts(data['inputs'], metas).argmax(dim=1)
    results = []
    for sample, label in zip(data['data_samples'], labels):
        out = SegDataSample(metainfo=sample.metainfo)
        out.pred_sem_seg = PixelData(data=label[None])
        if 'gt_sem_seg' in sample:
            out.gt_sem_seg = sample.gt_sem_seg
        results.append(out)
    return results


@dataclass
class PartLayer:
    """What to draw over one image: a map of class indices and/or instances (class indices, boxes, masks)."""
    part_map: Optional[np.ndarray] = None
    labels: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    bboxes: Optional[np.ndarray] = None
    masks: Optional[np.ndarray] = None

    def upscaled(self, factor: int) -> 'PartLayer':
        """The layer on an image ``factor`` times larger (maps and masks by pixel repetition)."""
        return PartLayer(None if self.part_map is None else upscale_mask(self.part_map, factor), self.labels,
                         None if self.bboxes is None else self.bboxes * factor,
                         None if self.masks is None else upscale_mask(self.masks, factor))

    def fitted(self, height: int, width: int) -> 'PartLayer':
        """The layer resized (nearest) to an image of ``height`` × ``width``: test pipelines load the ground
        truth at the original size after resizing the image."""
        shape = next((a.shape[-2:] for a in (self.part_map, self.masks) if a is not None and a.size), None)
        if shape is None or tuple(shape) == (height, width):
            return self
        rows = np.minimum((np.arange(height) + 0.5) * shape[0] / height, shape[0] - 1).astype(int)
        cols = np.minimum((np.arange(width) + 0.5) * shape[1] / width, shape[1] - 1).astype(int)
        scale = np.array([width / shape[1], height / shape[0]] * 2, np.float32)
        return PartLayer(None if self.part_map is None else self.part_map[rows][:, cols], self.labels,
                         None if self.bboxes is None else self.bboxes * scale,
                         None if self.masks is None else self.masks[:, rows][:, :, cols])

    def class_indices(self, num_classes: int) -> Set[int]:
        """Class indices drawn (background 0 of part maps and out-of-range values such as the ignore
        index excluded)."""
        found = set(int(i) for i in self.labels)
        if self.part_map is not None:
            found |= set(int(i) for i in np.unique(self.part_map) if 0 < i < num_classes)
        return {i for i in found if i < num_classes}


def _numpy(value) -> np.ndarray:
    value = getattr(value, 'tensor', value)  # mmdet box types
    if hasattr(value, 'to_ndarray'):  # mmdet BitmapMasks / PolygonMasks
        return value.to_ndarray()
    return value.detach().cpu().numpy() if isinstance(value, torch.Tensor) else np.asarray(value)


def layer_of(sample, prefix: str, score_thr: float = 0.3) -> PartLayer:
    """The ``gt`` or ``pred`` layer of a classification, mmseg or mmdet data sample (empty if absent);
    predicted instances below ``score_thr`` are dropped."""
    layer = PartLayer()
    if f'{prefix}_sem_seg' in sample:
        layer.part_map = _numpy(sample.get(f'{prefix}_sem_seg').data)[0].astype(np.int64)
    if f'{prefix}_instances' in sample:
        instances = sample.get(f'{prefix}_instances')
        if 'scores' in instances:
            instances = instances[instances.scores > score_thr]
        layer.labels = _numpy(instances.labels).astype(np.int64)
        if 'bboxes' in instances:
            layer.bboxes = _numpy(instances.bboxes).astype(np.float32).reshape(-1, 4)
        if 'masks' in instances and len(layer.labels):
            layer.masks = _numpy(instances.masks).astype(bool)
    return layer


def draw_layer(image: np.ndarray, layer: PartLayer, colour_offset: int = 0, alpha: float = 0.6) -> np.ndarray:
    """``image`` (RGB) with the layer's parts in their colours (class index + ``colour_offset`` = part id).

    No text is drawn on the image: names belong in the legend (:func:`part_figure`).
    """
    visualizer = Visualizer.get_instance('mmpart_part_layers')
    visualizer.set_image(image)
    if layer.part_map is not None:
        ids = sorted(i for i in np.unique(layer.part_map) if i > 0)
        if ids:
            visualizer.draw_binary_masks(np.stack([layer.part_map == i for i in ids]),
                                         colors=[part_colour(i + colour_offset) for i in ids], alphas=alpha)
    colours = [part_colour(int(label) + colour_offset) for label in layer.labels]
    if layer.masks is not None and len(layer.masks):
        visualizer.draw_binary_masks(layer.masks, colors=colours, alphas=alpha)
    if layer.bboxes is not None and len(layer.bboxes):
        visualizer.draw_bboxes(layer.bboxes, edge_colors=colours, line_widths=2, alpha=0.9)
    return visualizer.get_image()


def part_figure(image: np.ndarray, layers: Sequence[Tuple[str, PartLayer]], classes: Sequence[str],
                colour_offset: int = 0, alpha: float = 0.6, min_side: int = MIN_SIDE,
                legend_title: str = 'parts') -> np.ndarray:
    """One panel per ``(caption, layer)`` over the same image, side by side, and a legend of every class
    drawn in any of them. Images shorter than ``min_side`` are upscaled first. Returns RGB uint8."""
    factor = upscale_factor(*image.shape[:2], min_side)
    big = upscale_image(np.ascontiguousarray(image, np.uint8), factor)
    panels, drawn = [], set()
    for caption, layer in layers:
        layer = layer.fitted(*image.shape[:2]).upscaled(factor)
        panels.append(with_caption(draw_layer(big, layer, colour_offset, alpha), caption))
        drawn |= layer.class_indices(len(classes))
    entries = [(classes[i], part_colour(i + colour_offset)) for i in sorted(drawn)]
    panels.append(legend_panel(entries, panels[0].shape[0], legend_title if entries else f'no {legend_title}'))
    return hstack(panels)


def readable_class_names(classes: Sequence[str], object_names: Optional[Dict[str, str]]) -> List[str]:
    """PIN++ class names with object names for wnids: ``'<wnid>:<part>'`` → ``'<object>: <part>'`` and a bare
    ``'<wnid>'`` (COCO views with objects) → ``'<object>'``; other names (and unknown wnids) unchanged."""
    object_names = object_names or {}
    names = []
    for name in classes:
        wnid, sep, part = name.partition(':')
        if wnid in object_names:
            name = f'{object_names[wnid]}: {part}' if sep else object_names[wnid]
        names.append(name)
    return names


def packed_image(inputs: torch.Tensor) -> np.ndarray:
    """RGB uint8 H×W×3 of a pipeline's packed image (C×H×W, BGR as OpenMMLab pipelines load it)."""
    return np.ascontiguousarray(inputs.permute(1, 2, 0).cpu().numpy()[..., ::-1], dtype=np.uint8)


def draw_parts(kind: str, sample, packed_inputs: torch.Tensor, classes: Sequence[str], out_file: Optional[str] = None,
               score_thr: float = 0.3, alpha: float = 0.6, min_side: int = MIN_SIDE) -> np.ndarray:
    """GT | prediction | legend of one sample of a part model (see :func:`predict_parts`).

    Args:
        kind: see :func:`part_model_kind`. Bypasses are drawn on the pipeline's image
            (``packed_inputs``: C×H×W, BGR), segmentors and detectors on the original image file.
        classes: class names of the model's label space (index = class index).
        out_file: PNG to write (atomically), if given.

    Returns:
        The picture, RGB.
    """
    if kind == 'bypass':
        image = packed_image(packed_inputs)
    else:
        image = mmcv.imread(sample.img_path, channel_order='rgb')
    layers: List[Tuple[str, PartLayer]] = []
    if 'gt_sem_seg' in sample or 'gt_instances' in sample:
        layers.append(('ground truth', layer_of(sample, 'gt')))
    layers.append((f'prediction ({kind})', layer_of(sample, 'pred', score_thr)))
    picture = part_figure(image, layers, classes, colour_offset=1 if kind == 'detector' else 0, alpha=alpha,
                          min_side=min_side)
    if out_file is not None:
        write_png(out_file, picture)
    return picture

