"""Single-image inference: top-k classes, the part bypass's part map, and an adversarial example.

Classification runs through mmpretrain's ``ImageClassificationInferencer`` (an MPM deploys as a plain
classifier: its ``predict`` never runs the bypass); the part map through ``MPMClassifier.predict_parts``;
the attack through :mod:`mmpart.attacks` in pixel space, as ``tools/test.py --attack`` runs it.
"""
from dataclasses import dataclass
from typing import List, Optional, Sequence, Union

import numpy as np
import torch
from mmengine.model import BaseModel
from mmengine.registry import DefaultScope
from mmpretrain.apis import ImageClassificationInferencer

from mmpart.attacks import attack_config, pixel_space_logits, to_pixel_space
from mmpart.registry import ATTACKS

from .model import class_display_names

__all__ = ['ClassPrediction', 'PartPrediction', 'AdversarialExample', 'build_inferencer', 'inference_model',
           'inference_parts', 'attack_image']

ImageType = Union[str, np.ndarray]


@dataclass
class ClassPrediction:
    """The ``topk`` classes of one image, best first (scores are softmax probabilities)."""
    labels: List[int]
    scores: List[float]
    names: List[str]

    @classmethod
    def from_scores(cls, scores: torch.Tensor, names: Optional[Sequence[str]], topk: int) -> 'ClassPrediction':
        """From one image's class scores."""
        values, labels = scores.float().topk(min(topk, scores.numel()))
        labels = labels.tolist()
        return cls(labels, values.tolist(), [names[i] if names else str(i) for i in labels])

    def lines(self) -> List[str]:
        """``'  1. name  97.31%'`` lines."""
        return [f'{rank:>3}. {name}  {100 * score:.2f}%'
                for rank, (name, score) in enumerate(zip(self.names, self.scores), 1)]


@dataclass
class PartPrediction:
    """The part bypass's prediction on the image the model sees (after the test pipeline)."""
    image: np.ndarray  # H×W×3 RGB uint8
    part_map: np.ndarray  # H×W part ids (0 = background)
    part_names: Optional[Sequence[str]]


@dataclass
class AdversarialExample:
    """An image, its adversarial version under ``attack`` and both predictions (images H×W×3 RGB in [0, 1])."""
    image: np.ndarray
    adversarial: np.ndarray
    clean: ClassPrediction
    attacked: ClassPrediction
    attack: dict

    @property
    def perturbation(self) -> np.ndarray:
        """``adversarial - image`` (H×W×3, in [-ε, ε] for L∞)."""
        return self.adversarial - self.image


def build_inferencer(model: BaseModel) -> ImageClassificationInferencer:
    """mmpretrain's classification inferencer for a model of :func:`~mmpart.apis.init_model`, its test
    pipeline built in the mmpart scope (mmpart transforms such as ``PackPartInputs``)."""
    with DefaultScope.overwrite_default_scope('mmpart'):
        return ImageClassificationInferencer(model, pretrained=False, classes=class_display_names(model))


def _preprocessed(inferencer: ImageClassificationInferencer, image: ImageType) -> dict:
    """One image through the inferencer's loading, test pipeline and the model's data preprocessor."""
    batch = next(iter(inferencer.preprocess([image], batch_size=1)))
    return inferencer.model.data_preprocessor(batch, False)


def inference_model(model: BaseModel, image: ImageType, topk: int = 5) -> ClassPrediction:
    """Top-``topk`` classes of one image (path or BGR array) through mmpretrain's inferencer."""
    inferencer = build_inferencer(model)
    # the inferencer's steps without its __call__, whose progress bar (for one image) runs into what follows
    sample = inferencer.forward(next(iter(inferencer.preprocess([image], batch_size=1))))[0]
    return ClassPrediction.from_scores(sample.pred_score, inferencer.classes, topk)


@torch.no_grad()
def inference_parts(model: BaseModel, image: ImageType) -> PartPrediction:
    """Part map of the model's part bypass (e.g. MPM) for one image; the bypass runs explicitly here, as it
    never does in ``predict``. Part names from the checkpoint's ``dataset_meta['part_classes']``."""
    if not callable(getattr(model, 'predict_parts', None)):
        raise TypeError(f'{type(model).__name__} has no part bypass (predict_parts): use an MPM config')
    data = _preprocessed(build_inferencer(model), image)
    inputs = data['inputs']
    metas = [dict(img_shape=tuple(inputs.shape[2:]))]
    part_map = model.predict_parts(inputs, metas).argmax(dim=1)[0]
    pixels = (to_pixel_space(model, inputs)[0].permute(1, 2, 0).clamp(0, 1) * 255).round().byte()
    return PartPrediction(pixels.cpu().numpy(), part_map.cpu().numpy(), model._dataset_meta.get('part_classes'))


def attack_image(model: BaseModel, image: ImageType, attack: str = 'pgd', topk: int = 5,
                 label: Optional[int] = None, **attack_args) -> AdversarialExample:
    """Attack one image and predict both versions.

    Args:
        attack: a name of :data:`mmpart.attacks.ATTACK_NAMES` (``pgd``, ``fgsm``, ...).
        label: the class to move away from; default the model's clean prediction (no label is known).
        **attack_args: the attack's arguments as on ``tools/test.py`` (``eps=4`` is 4/255 for L∞,
            ``steps``, ``step_size``, ...).
    """
    inferencer = build_inferencer(model)
    data = _preprocessed(inferencer, image)
    images = to_pixel_space(model, data['inputs']).clamp(0, 1)
    logits_fn = pixel_space_logits(model)
    with torch.no_grad():
        clean_scores = logits_fn(images).softmax(dim=1)[0]
    target = int(clean_scores.argmax()) if label is None else int(label)
    cfg = attack_config(attack, attack_args)
    adversarial = ATTACKS.build(cfg)(logits_fn, images, torch.tensor([target], device=images.device))
    with torch.no_grad():
        adv_scores = logits_fn(adversarial).softmax(dim=1)[0]

    def rgb(batch: torch.Tensor) -> np.ndarray:
        return batch[0].permute(1, 2, 0).detach().cpu().numpy().astype(np.float64)

    return AdversarialExample(rgb(images), rgb(adversarial), ClassPrediction.from_scores(clean_scores,
                              inferencer.classes, topk), ClassPrediction.from_scores(adv_scores, inferencer.classes,
                                                                                     topk), cfg)
