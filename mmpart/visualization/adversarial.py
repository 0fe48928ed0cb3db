"""Picture of an adversarial example: the image, the adversarial image and the amplified perturbation."""
from typing import List, Tuple

import numpy as np

from .figures import MIN_SIDE, hstack, upscale_factor, upscale_image, with_caption

__all__ = ['perturbation_image', 'adversarial_figure']


def perturbation_image(perturbation: np.ndarray) -> Tuple[np.ndarray, float]:
    """RGB uint8 picture of a perturbation amplified so that its largest magnitude spans the range (grey = 0),
    and the amplification used."""
    peak = float(np.abs(perturbation).max())
    amplification = 0.5 / peak if peak > 0 else 1.0
    return np.clip(np.round((0.5 + amplification * perturbation) * 255), 0, 255).astype(np.uint8), amplification


def _top1(names: List[str], scores: List[float]) -> str:
    return f'{names[0]} {100 * scores[0]:.1f}%'


def adversarial_figure(example, min_side: int = MIN_SIDE) -> np.ndarray:
    """clean image | adversarial image | perturbation (amplified), captioned with the top-1 predictions
    and the attack; ``example`` is an :class:`mmpart.apis.AdversarialExample`. Returns RGB uint8."""
    factor = upscale_factor(*example.image.shape[:2], min_side)
    perturbation, amplification = perturbation_image(example.perturbation)
    clean = np.round(example.image * 255).astype(np.uint8)
    adversarial = np.round(example.adversarial * 255).astype(np.uint8)
    attack = ', '.join(f'{k}={v}' for k, v in example.attack.items() if k != 'type')
    peak = 255 * np.abs(example.perturbation).max()
    return hstack([
        with_caption(upscale_image(clean, factor), f'clean\n{_top1(example.clean.names, example.clean.scores)}'),
        with_caption(upscale_image(adversarial, factor),
                     f'{example.attack["type"]}({attack})\n{_top1(example.attacked.names, example.attacked.scores)}'),
        with_caption(np.repeat(np.repeat(perturbation, factor, 0), factor, 1),  # pixel-exact
                     f'perturbation x{amplification:.1f}\nmax |delta| = {peak:.2f}/255'),
    ])
