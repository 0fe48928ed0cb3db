"""A 2-class classifier with hand-set weights and data with known margins, for robustness tests.

The model (``tests/data/configs/hand_set_linear_cls.py``) computes, in pixel space, the logit gap
``class1 - class0 = SLOPE * (255 * mean_red - 127.5)``: the class is decided by the mean red value of
the image, against the threshold 127.5/255. The data are uniform PNG images (lossless) whose red
value sits ``d``/255 from the threshold, on the correct side for most samples and on the wrong side for
:data:`WRONG` samples. An L-inf perturbation of radius ``eps``/255 moves the mean red value by at most
``eps``/255, so a correct sample is broken exactly when ``eps > d``; PGD reaches that corner because
the gradient sign of a linear model never changes. Distances are half-integers and the tested radii
integers, so no sample is ever on the boundary. ``drop`` leaves out the last (most distant) correctly
classified samples of class 1, e.g. for an odd number of samples.

Two variants built to trip the gradient-masking checks (``model.backbone.type=...``): :class:`PixelQuantisedConv2d`
rounds its input to whole 0..255 pixel values (same predictions on the PNG data, zero input gradient everywhere),
:class:`RandomGateConv2d` blocks its gradient in most forward passes at random and adds a little noise to its
output (same predictions, gradients that only an average over passes, EoT, recovers).
"""
from pathlib import Path
from typing import Dict, List, Sequence

import numpy as np
import torch
import torch.nn as nn
from mmengine.config import Config
from PIL import Image

from mmpart.registry import MODELS
from mmpart.utils import register_all_modules

HAND_SET_CONFIG = str(Path(__file__).parents[1] / 'data' / 'configs' / 'hand_set_linear_cls.py')
THRESHOLD = 127.5
SLOPE = 0.1
#: distances (in /255) of the correctly classified samples from the threshold, per class
DISTANCES = (1.5, 3.5, 6.5, 12.5, 24.5, 40.5)
#: distance of one misclassified sample per class (on the wrong side of the threshold)
WRONG = 20.5
NUM_SAMPLES = 2 * (len(DISTANCES) + 1)


@MODELS.register_module(force=True)
class TupleConv2d(nn.Conv2d):
    """``nn.Conv2d`` returning a one-element tuple, as mmpretrain necks and heads expect of a backbone."""

    def forward(self, x: torch.Tensor) -> tuple:
        return (super().forward(x), )


#: the config's data preprocessor, in 0..255 units
PIXEL_MEAN, PIXEL_STD = (123.675, 116.28, 103.53), (58.395, 57.12, 57.375)


@MODELS.register_module(force=True)
class PixelQuantisedConv2d(TupleConv2d):
    """:class:`TupleConv2d` on its input rounded to whole pixel values: a non-differentiable input quantisation
    (``torch.round`` has a zero gradient), the textbook gradient-masking defence."""

    def forward(self, x: torch.Tensor) -> tuple:
        mean = x.new_tensor(PIXEL_MEAN).view(1, 3, 1, 1)
        std = x.new_tensor(PIXEL_STD).view(1, 3, 1, 1)
        return super().forward((torch.round(x * std + mean) - mean) / std)


@MODELS.register_module(force=True)
class RandomGateConv2d(TupleConv2d):
    """:class:`TupleConv2d` whose output is detached from the graph with probability ``block_prob`` per forward
    pass (torch's RNG) and gets Gaussian noise of std ``noise``: predictions are those of the linear model (the
    noise is far below the smallest logit gap, 0.15), but a single pass's gradient is usually zero."""

    def __init__(self, *args, block_prob: float = 0.9, noise: float = 1e-2, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.block_prob, self.noise = block_prob, noise

    def forward(self, x: torch.Tensor) -> tuple:
        out = super().forward(x)[0]
        if torch.rand(()) < self.block_prob:
            out = out.detach()
        return (out + self.noise * torch.randn_like(out), )


def hand_set_state_dict(slope: float = SLOPE) -> Dict[str, torch.Tensor]:
    """Weights that give the logit gap of the module docstring (mean/std of the config's preprocessor).

    The two logits move symmetrically (``±gap/2``), so even a confidently classified sample, whose
    softmax rounds to exactly 1 for its class, has a non-zero fp32 input gradient through the other class.
    """
    red_mean, red_std = 123.675, 58.395
    half_weight, half_bias = slope * red_std / 2, slope * (red_mean - THRESHOLD) / 2
    return {
        'backbone.weight': torch.tensor([1.0, 0.0, 0.0]).view(1, 3, 1, 1),  # the normalised red channel
        'backbone.bias': torch.zeros(1),
        'head.fc.weight': torch.tensor([[-half_weight], [half_weight]]),
        'head.fc.bias': torch.tensor([-half_bias, half_bias]),
    }


def hand_set_config(data_root: str) -> Config:
    """The config with ``data_root`` set."""
    cfg = Config.fromfile(HAND_SET_CONFIG)
    cfg.val_dataloader.dataset.data_root = data_root
    cfg.test_dataloader.dataset.data_root = data_root
    return cfg


def build_hand_set_model(slope: float = SLOPE, **model_options) -> nn.Module:
    """The hand-set classifier in eval mode (``model_options`` update the config's model, e.g.
    ``type='AdvImageClassifier', attack=...``)."""
    register_all_modules()
    cfg = Config.fromfile(HAND_SET_CONFIG).model
    cfg.update(model_options)
    model = MODELS.build(cfg)
    model.load_state_dict(hand_set_state_dict(slope))
    return model.eval()


def write_checkpoint(path: Path) -> str:
    """An mmengine-style checkpoint of the hand-set weights; returns its path."""
    torch.save(dict(state_dict=hand_set_state_dict(), meta={}), path)
    return str(path)


def margins(label: int, drop: int = 0) -> List[float]:
    """Signed distances (> 0: correct side) of the samples of class ``label``, in file order."""
    kept = DISTANCES[:len(DISTANCES) - drop] if label == 1 else DISTANCES
    return list(kept) + [-WRONG]


def make_margin_data(root: Path, size: int = 4, drop: int = 0) -> str:
    """``val/class0``, ``val/class1`` of uniform PNGs at the known distances; returns ``root`` with a slash."""
    for label in (0, 1):
        folder = root / 'val' / f'class{label}'
        folder.mkdir(parents=True, exist_ok=True)
        side = 1 if label == 1 else -1
        signed = [side * d for d in margins(label, drop)]
        for i, offset in enumerate(signed):
            pixel = np.array([THRESHOLD + offset, 100, 180], dtype=np.float64)
            assert float(pixel[0]).is_integer()
            Image.fromarray(np.full((size, size, 3), pixel, dtype=np.uint8)).save(folder / f'{i:02d}.png')
    return str(root) + '/'


def expected_accuracy(eps: float, drop: int = 0) -> float:
    """Top-1 robust accuracy (%) under an optimal L-inf attack of radius ``eps``/255 (``eps=0``: clean)."""
    signed = margins(0) + margins(1, drop)
    return 100 * sum(d > eps for d in signed) / len(signed)


def expected_curve(radii: Sequence[float]) -> list:
    """:func:`expected_accuracy` at each radius."""
    return [expected_accuracy(eps) for eps in radii]
