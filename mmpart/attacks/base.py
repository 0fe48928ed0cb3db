"""The attack interface: pixel-space inputs in [0, 1], a logits function, labels."""
from abc import ABCMeta, abstractmethod
from typing import Any, Callable, Dict, NamedTuple, Optional, Tuple

import torch
import torch.nn as nn

LogitsFn = Callable[[torch.Tensor], torch.Tensor]


class AttackResult(NamedTuple):
    """Adversarial images in [0, 1] and the model's logits at them; an ensemble
    (:class:`~mmpart.attacks.MultiAttack`) also gives the logits of each of its attacks' outcomes by name."""

    images: torch.Tensor
    logits: torch.Tensor
    per_attack: Optional[Dict[str, torch.Tensor]] = None


class BaseAttack(metaclass=ABCMeta):
    """An adversarial attack in pixel space.

    Attacks see images in [0, 1] and a function from such a batch to logits; normalisation stays in
    the model's data preprocessor (see :func:`pixel_space_logits`), so ε means the same for every
    model. Attacks never touch parameter gradients or optimizer state.

    Subclasses implement :meth:`__call__` (adversarial images) and :meth:`threat_model`; attacks that
    already know the logits at the points they return override :meth:`run` to save a forward pass.
    Attacks that keep a "best" point take ``keep`` (see :mod:`mmpart.attacks.selection`): evaluation
    uses ``'misclassified'``, adversarial training ``'loss'``.
    """

    #: whether the attack reads logits only (no gradients), e.g. Square: a gradient-masking check compares them
    black_box = False

    @abstractmethod
    def __call__(self, logits_fn: LogitsFn, images: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """Adversarial images in [0, 1] of the same shape as ``images``."""

    @abstractmethod
    def threat_model(self) -> Dict[str, Any]:
        """Norm, ε (in its own, [0, 1] and [0, 255] units) and the settings that determine the attack's
        strength, as built by :func:`mmpart.attacks.threat_model.threat_model`."""

    def run(self, logits_fn: LogitsFn, images: torch.Tensor, labels: torch.Tensor) -> AttackResult:
        """Adversarial images and their logits (what evaluation needs)."""
        adversarial = self(logits_fn, images, labels)
        with torch.no_grad():
            return AttackResult(adversarial, logits_fn(adversarial))


def normalisation(model: nn.Module) -> Tuple[torch.Tensor, torch.Tensor]:
    """``mean`` and ``std`` (0..255 units) of the model's data preprocessor.

    Raises:
        ValueError: the preprocessor does not normalise, so [0, 1] pixel space (and with it ε) is undefined.
    """
    preprocessor = getattr(model, 'data_preprocessor', None)
    mean, std = getattr(preprocessor, 'mean', None), getattr(preprocessor, 'std', None)
    if mean is None or std is None:
        raise ValueError(
            f'attacks work in [0, 1] pixel space through the data preprocessor\'s mean and std, but '
            f'{type(model).__name__}.data_preprocessor ({type(preprocessor).__name__}) has no mean/std: set '
            'model.data_preprocessor.mean and .std in the config (mean=[0, 0, 0], std=[1, 1, 1] for a model '
            'that takes raw 0..255 values)')
    return mean, std


def pixel_space_logits(model: nn.Module) -> LogitsFn:
    """Logits of an mmpretrain-style classifier for a [0, 1] batch (RGB, as after its preprocessor).

    The data preprocessor's ``mean``/``std`` (in 0..255 units) normalise the batch inside the
    returned function; the model is called with ``mode='tensor'`` (unwrap DDP before calling this).
    """
    normalisation(model)

    def logits_fn(images: torch.Tensor) -> torch.Tensor:
        return model(from_pixel_space(model, images), mode='tensor')

    return logits_fn


def to_pixel_space(model: nn.Module, inputs: torch.Tensor) -> torch.Tensor:
    """Undo the data preprocessor's normalisation: normalised batch → [0, 1]."""
    mean, std = normalisation(model)
    return (inputs * std + mean) / 255


def from_pixel_space(model: nn.Module, images: torch.Tensor) -> torch.Tensor:
    """Apply the data preprocessor's normalisation: [0, 1] batch → normalised model inputs."""
    mean, std = normalisation(model)
    return (images * 255 - mean) / std
