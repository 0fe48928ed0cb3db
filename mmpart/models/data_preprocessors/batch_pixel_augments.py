"""mmpretrain's per-sample ``ColorJitter`` and ``RandomErasing`` applied to a whole batch on the model's device.

Each image draws its own parameters from the distributions the per-sample transforms draw from (its own order of
the jitter operations, its own factors, its own erase box and fill), and, given the same parameters, gets the same
pixels: the jitter reproduces Pillow's ``ImageEnhance`` arithmetic (float32 blends truncated to integers, the
integer grey of ``convert('L')``, the rounded mean grey of ``Contrast``), which the tests check bit for bit
against mmcv's Pillow backend. Moving them off the CPU loader frees about a third of its time per image (README,
Benchmarks); on a GPU they cost almost nothing.

Inputs are float batches (N, 3, H, W) of integer values in [0, 255], RGB, as the data preprocessor has them before
normalising. Every random draw comes from the ``generator`` passed in, so a seed reproduces a batch's parameters.
"""
import math
from numbers import Number
from typing import Dict, Optional, Sequence, Tuple, Union

import torch

from mmpart.registry import MODELS

__all__ = ['BatchColorJitter', 'BatchRandomErasing']

Range = Union[float, Sequence[float]]


def _uniform(low: float, high: float, size: int, generator: torch.Generator, device) -> torch.Tensor:
    """``size`` draws from U(low, high) in float64."""
    return low + (high - low) * torch.rand(size, generator=generator, device=device, dtype=torch.float64)


def _pillow_grey(images: torch.Tensor) -> torch.Tensor:
    """Pillow's ``convert('L')`` of RGB: (19595 R + 38470 G + 7471 B + 2^15) >> 16, exact in float32 (< 2^24)."""
    r, g, b = images.unbind(1)
    return torch.floor((r * 19595 + g * 38470 + b * 7471 + 32768) / 65536).unsqueeze(1)


def _pillow_blend(degenerate: torch.Tensor, images: torch.Tensor, factor: torch.Tensor) -> torch.Tensor:
    """Pillow's ``Image.blend(degenerate, image, factor)``: in float32, ``degenerate + factor * (image - degenerate)``
    (two roundings, as Pillow's C), clipped to [0, 255] and truncated to an integer."""
    alpha = factor.to(torch.float32).view(-1, 1, 1, 1)
    return (degenerate + alpha * (images - degenerate)).clamp_(0, 255).trunc_()


@MODELS.register_module()
class BatchColorJitter:
    """mmpretrain's ``ColorJitter`` (Pillow backend) on a batch, each image with its own parameters.

    Args:
        brightness, contrast, saturation: as ``ColorJitter``'s: a factor drawn from ``[max(0, 1 - v), 1 + v]`` for a
            number ``v``, or from ``[min, max]``; 0 leaves the operation out.
        hue: must be 0 (hue jitter is not implemented on the batch; keep ``ColorJitter`` in the pipeline for it).

    As ``ColorJitter``, every image applies the operations in its own random order.
    """

    OPERATIONS = ('brightness', 'contrast', 'saturation')

    def __init__(self, brightness: Range = 0., contrast: Range = 0., saturation: Range = 0., hue: Range = 0.) -> None:
        if hue not in (0, 0., (0, 0), [0, 0]):
            raise ValueError(f'{type(self).__name__} has no hue jitter (got hue={hue!r}): use ColorJitter in the '
                             'data pipeline for it.')
        self.ranges = {name: self._range(name, value) for name, value in
                       zip(self.OPERATIONS, (brightness, contrast, saturation))}

    @staticmethod
    def _range(name: str, value: Range) -> Optional[Tuple[float, float]]:
        """``ColorJitter._set_range``: the factor range, None for an operation left out."""
        if isinstance(value, Number):
            if value < 0:
                raise ValueError(f'If {name} is a single number, it must be non negative.')
            value = (max(0., 1. - value), 1. + value)
        if len(value) != 2 or not 0 <= value[0] <= value[1]:
            raise ValueError(f'{name} must be a non-negative number or a range (min, max) with 0 <= min <= max, '
                             f'got {value!r}.')
        return None if value[0] == value[1] == 1 else (float(value[0]), float(value[1]))

    def sample(self, batch_size: int, generator: torch.Generator, device=None) -> Dict[str, torch.Tensor]:
        """Per image: ``order`` (N, 4), a permutation of the operations (3 = hue, a no-op, as ``ColorJitter``'s
        4-way permutation), and one factor per operation (N,) (NaN where the operation is left out)."""
        params = {'order': torch.rand(batch_size, 4, generator=generator, device=device).argsort(dim=1)}
        for name, value_range in self.ranges.items():
            params[name] = (torch.full((batch_size, ), math.nan, dtype=torch.float64, device=device)
                            if value_range is None else _uniform(*value_range, batch_size, generator, device))
        return params

    def apply(self, images: torch.Tensor, params: Dict[str, torch.Tensor]) -> torch.Tensor:
        """The jittered batch for the given parameters.

        Every operation is a Pillow blend of the image with a degenerate image (black for brightness, the mean grey
        for contrast, the grey image for saturation), so each of the four steps is one blend per image, with the
        degenerate image and factor of the operation that image does at that step (factor 1, the identity, for
        the hue slot and the operations left out).
        """
        factors = torch.stack([params[name].nan_to_num(1.0) for name in self.OPERATIONS], dim=1)  # (N, 3)
        needs_grey = self.ranges['contrast'] is not None or self.ranges['saturation'] is not None
        for step in range(4):
            operation = params['order'][:, step]
            factor = torch.ones_like(factors[:, 0]).where(operation == 3, factors.gather(
                1, operation.clamp(max=2)[:, None])[:, 0])
            degenerate = torch.zeros_like(images[:, :1])
            if needs_grey:
                grey = _pillow_grey(images)
                # ImageEnhance.Contrast: int(mean of the grey image + 0.5)
                mean = torch.floor(grey.to(torch.float64).mean(dim=(1, 2, 3), keepdim=True) + 0.5).to(images.dtype)
                operation = operation.view(-1, 1, 1, 1)
                degenerate = torch.where(operation == 1, mean, torch.where(operation == 2, grey, degenerate))
            images = _pillow_blend(degenerate, images, factor)
        return images

    def __call__(self, images: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        return self.apply(images, self.sample(images.shape[0], generator, images.device))

    def __repr__(self) -> str:
        return f'{type(self).__name__}({", ".join(f"{k}={v}" for k, v in self.ranges.items())})'


@MODELS.register_module()
class BatchRandomErasing:
    """mmpretrain's ``RandomErasing`` on a batch, each image with its own decision, box and fill.

    Arguments as ``RandomErasing``'s (``erase_prob``, ``min_area_ratio``, ``max_area_ratio``, ``aspect_range``,
    ``mode`` 'const' or 'rand', ``fill_color``, ``fill_std``), the colours in the batch's channel order (RGB after
    the preprocessor's ``to_rgb``; the pipeline's ``RandomErasing`` sees BGR images). Boxes are drawn as
    ``RandomErasing`` draws them (log-uniform aspect, uniform area, ``randint`` offsets) and filled as it fills them
    (normal noise truncated to an integer and clipped to [0, 255], or uniform integers, or the constant colour).
    """

    def __init__(self, erase_prob: float = 0.5, min_area_ratio: float = 0.02, max_area_ratio: float = 0.4,
                 aspect_range: Union[float, Tuple[float, float]] = (3 / 10, 10 / 3), mode: str = 'const',
                 fill_color: Union[Number, Sequence[Number]] = (128, 128, 128),
                 fill_std: Optional[Union[Number, Sequence[Number]]] = None) -> None:
        if not (0 <= erase_prob <= 1 and 0 <= min_area_ratio <= max_area_ratio <= 1):
            raise ValueError('erase_prob must be in [0, 1] and 0 <= min_area_ratio <= max_area_ratio <= 1, got '
                             f'{erase_prob}, {min_area_ratio}, {max_area_ratio}.')
        if isinstance(aspect_range, Number):
            aspect_range = (min(aspect_range, 1 / aspect_range), max(aspect_range, 1 / aspect_range))
        if not 0 < aspect_range[0] <= aspect_range[1]:
            raise ValueError(f'aspect_range must be (min, max) with 0 < min <= max, got {aspect_range!r}.')
        if mode not in ('const', 'rand'):
            raise ValueError(f"mode must be 'const' or 'rand', got {mode!r}.")
        self.erase_prob, self.min_area_ratio, self.max_area_ratio = erase_prob, min_area_ratio, max_area_ratio
        self.aspect_range, self.mode = tuple(aspect_range), mode
        self.fill_color = [fill_color] * 3 if isinstance(fill_color, Number) else list(fill_color)
        self.fill_std = [fill_std] * 3 if isinstance(fill_std, Number) else fill_std and list(fill_std)

    def sample(self, batch_size: int, height: int, width: int, generator: torch.Generator,
               device=None) -> Dict[str, torch.Tensor]:
        """Per image: ``erase`` (N,) bool and the box ``top``, ``left``, ``height``, ``width`` (N,) long."""
        erase = torch.rand(batch_size, generator=generator, device=device, dtype=torch.float64) <= self.erase_prob
        # as RandomErasing: the log of the aspect range in float32, the area ratio uniform
        log_low, log_high = torch.tensor(self.aspect_range, dtype=torch.float32).log().tolist()
        aspect = _uniform(log_low, log_high, batch_size, generator, device).exp()
        area = height * width * _uniform(self.min_area_ratio, self.max_area_ratio, batch_size, generator, device)
        box_h = torch.round(torch.sqrt(area * aspect)).clamp(max=height).long()
        box_w = torch.round(torch.sqrt(area / aspect)).clamp(max=width).long()
        # np.random.randint(0, side - box) (its high excluded), 0 where the box fills the side
        top = (torch.rand(batch_size, generator=generator, device=device, dtype=torch.float64) *
               (height - box_h)).floor().long()
        left = (torch.rand(batch_size, generator=generator, device=device, dtype=torch.float64) *
                (width - box_w)).floor().long()
        return dict(erase=erase, top=top, left=left, height=box_h, width=box_w)

    def fill(self, images: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        """The values erased pixels take (for the whole batch; only the boxes are used)."""
        colour = torch.tensor(self.fill_color, dtype=images.dtype, device=images.device).view(1, 3, 1, 1)
        if self.mode == 'const':
            return colour.trunc().expand_as(images)  # RandomErasing casts the colour to uint8
        if self.fill_std is None:  # np.random.uniform(0, 256).astype(np.uint8)
            return torch.floor(256 * torch.rand(images.shape, generator=generator, device=images.device,
                                                dtype=images.dtype)).clamp_(max=255)
        std = torch.tensor(self.fill_std, dtype=images.dtype, device=images.device).view(1, 3, 1, 1)
        noise = torch.randn(images.shape, generator=generator, device=images.device, dtype=images.dtype)
        return (colour + std * noise).trunc_().clamp_(0, 255)  # astype(np.int32), then np.clip(0, 255)

    def apply(self, images: torch.Tensor, params: Dict[str, torch.Tensor], fill: torch.Tensor) -> torch.Tensor:
        """The batch with each chosen image's box replaced by ``fill``."""
        rows = torch.arange(images.shape[2], device=images.device).view(1, -1, 1)
        cols = torch.arange(images.shape[3], device=images.device).view(1, 1, -1)

        def inside(start, length, index):
            return (index >= start.view(-1, 1, 1)) & (index < (start + length).view(-1, 1, 1))

        box = inside(params['top'], params['height'], rows) & inside(params['left'], params['width'], cols)
        return torch.where((box & params['erase'].view(-1, 1, 1)).unsqueeze(1), fill, images)

    def __call__(self, images: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        params = self.sample(images.shape[0], images.shape[2], images.shape[3], generator, images.device)
        return self.apply(images, params, self.fill(images, generator))

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(erase_prob={self.erase_prob}, area_ratio=({self.min_area_ratio}, '
                f'{self.max_area_ratio}), aspect_range={self.aspect_range}, mode={self.mode!r}, '
                f'fill_color={self.fill_color}, fill_std={self.fill_std})')
