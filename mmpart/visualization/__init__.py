"""Readable pictures: part masks (GT vs predictions, dataset samples), legends, stable part colours."""
from .adversarial import adversarial_figure, perturbation_image
from .dataset_samples import sample_figure, sample_view
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
from .part_masks import (
                         PART_MODEL_KINDS,
                         PartLayer,
                         draw_layer,
                         draw_parts,
                         layer_of,
                         packed_image,
                         part_figure,
                         part_model_kind,
                         predict_parts,
                         readable_class_names,
)
from .part_palette import BACKGROUND_COLOUR, part_colour, part_palette

__all__ = [
    'BACKGROUND_COLOUR', 'MIN_SIDE', 'PART_MODEL_KINDS', 'PartLayer', 'adversarial_figure', 'draw_layer',
    'draw_parts', 'hstack', 'layer_of', 'legend_panel', 'packed_image', 'part_colour', 'part_figure',
    'part_model_kind', 'part_palette', 'perturbation_image', 'predict_parts', 'readable_class_names',
    'sample_figure', 'sample_view', 'upscale_factor', 'upscale_image', 'upscale_mask', 'with_caption', 'write_png'
]
