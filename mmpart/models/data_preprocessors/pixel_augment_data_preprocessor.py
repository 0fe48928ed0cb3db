"""mmpretrain's ``ClsDataPreprocessor`` that applies pixel augmentations to the training batch on its device."""
from typing import Optional, Sequence, Union

import numpy as np
import torch
from mmengine.dist import get_rank
from mmpretrain.models import ClsDataPreprocessor

from mmpart.registry import MODELS

__all__ = ['PixelAugmentClsDataPreprocessor', 'AUGMENT_SEED_KEY']

#: where the batch dict keeps the seed of its augmentations
AUGMENT_SEED_KEY = 'pixel_augment_seed'


@MODELS.register_module()
class PixelAugmentClsDataPreprocessor(ClsDataPreprocessor):
    """``ClsDataPreprocessor`` that, in training, runs ``pixel_augments`` on the batch before normalising it.

    The augmentations (e.g. :class:`BatchColorJitter`, :class:`BatchRandomErasing`) take the place of the per-sample
    transforms at the end of the data pipeline: the CPU loader then only decodes, crops and flips, and the model's
    device jitters and erases, every image with its own random parameters. They see float RGB (after ``to_rgb``)
    values in [0, 255]; evaluation (``training=False``) leaves the batch alone.

    Randomness: a batch's augmentations draw from one generator seeded from torch's global random state (so a run's
    seed reproduces them) and the process's rank (each GPU its own). The seed is kept in the batch dict under
    :data:`AUGMENT_SEED_KEY`: a batch passed again (``MinibatchReplayTrainLoop``, free adversarial training) is
    augmented exactly as the first time, as when the pipeline augmented it once.

    Args:
        pixel_augments: configs (or objects) called as ``augment(images, generator)``, in order.
        Others as ``ClsDataPreprocessor``.
    """

    def __init__(self, *args, pixel_augments: Optional[Sequence[Union[dict, object]]] = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.pixel_augments = [MODELS.build(a) if isinstance(a, dict) else a for a in pixel_augments or ()]

    def forward(self, data: dict, training: bool = False) -> dict:
        """Augment (in training), then as ``ClsDataPreprocessor``."""
        if training and self.pixel_augments:
            data = dict(data, inputs=self.augment(data))
        return super().forward(data, training)

    def augment(self, data: dict) -> Union[torch.Tensor, list]:
        """The batch's inputs, on this device, as float, augmented (in the channel order they came in)."""
        inputs = self.cast_data(data['inputs'])
        generator = torch.Generator(device=self.device).manual_seed(self._seed(data))
        if isinstance(inputs, torch.Tensor):
            return self._augment_batch(inputs, generator)
        return [self._augment_batch(image[None], generator)[0] for image in inputs]

    def _augment_batch(self, images: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        swap = self.to_rgb and images.size(1) == 3
        images = images.flip(1).float() if swap else images.float()
        for augment in self.pixel_augments:
            images = augment(images, generator)
        return images.flip(1) if swap else images  # ClsDataPreprocessor.forward converts to RGB next

    @staticmethod
    def _seed(data: dict) -> int:
        """The batch's seed (drawn once, kept in ``data``) mixed with the process's rank."""
        if AUGMENT_SEED_KEY not in data:
            data[AUGMENT_SEED_KEY] = int(torch.randint(0, 2**62, (1, )))
        return int(np.random.SeedSequence([data[AUGMENT_SEED_KEY], get_rank()]).generate_state(1, np.uint64)[0])
