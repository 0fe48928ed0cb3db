"""Data preprocessors and the batch augmentations they run on the model's device."""
from .batch_pixel_augments import BatchColorJitter, BatchRandomErasing
from .pixel_augment_data_preprocessor import AUGMENT_SEED_KEY, PixelAugmentClsDataPreprocessor

__all__ = ['AUGMENT_SEED_KEY', 'BatchColorJitter', 'BatchRandomErasing', 'PixelAugmentClsDataPreprocessor']
