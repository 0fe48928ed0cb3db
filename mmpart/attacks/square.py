"""Square Attack (Andriushchenko et al. 2020), the black-box attack of AutoAttack, from its reference code."""
from typing import Any, Dict, Optional

import torch
from pyautoattack.square import SquareAttack

from mmpart.registry import ATTACKS

from .autoattack_utils import AA_NORMS, aa_eps, preserved_rng
from .base import BaseAttack, LogitsFn
from .threat_model import check_norm, resolve_eps, threat_model


@ATTACKS.register_module()
class Square(BaseAttack):
    """Score-based black-box attack: random square updates accepted when they lower the margin.

    It reads logits only, never gradients, so a model whose gradients are masked (a non-differentiable
    input quantisation, a shattered or vanishing gradient) does not fool it: Square breaking samples that
    the white-box attacks could not is one of AutoAttack's gradient-masking flags
    (:mod:`mmpart.evaluation.masking_checks`). Settings default to AutoAttack standard's
    (``pyautoattack``'s ``SquareAttack`` with ``p_init=0.8``, 5,000 queries, one restart, no rescaled schedule);
    only samples classified correctly are attacked, and a sample comes back misclassified if any query broke it.

    Args:
        eps: radius; L∞ in /255 units, L2 in [0, 1] pixel units; default per norm (4/255, 2.0).
        norm: ``'linf'`` or ``'l2'``.
        n_queries: queries per sample.
        p_init: initial fraction of the image a square covers.
        restarts: random restarts.
        seed: seed of the random squares (the caller's RNG state is preserved).
    """

    black_box = True

    def __init__(self, eps: Optional[float] = None, norm: str = 'linf', n_queries: int = 5000, p_init: float = 0.8,
                 restarts: int = 1, seed: int = 0) -> None:
        self.norm = check_norm(norm, ('linf', 'l2'))
        if n_queries < 1 or restarts < 1:
            raise ValueError(f'Square needs n_queries >= 1 and restarts >= 1, got {n_queries}, {restarts}')
        self.eps = resolve_eps(eps, norm)
        self.n_queries, self.p_init, self.restarts, self.seed = n_queries, p_init, restarts, seed

    def threat_model(self) -> Dict[str, Any]:
        return threat_model(type(self).__name__, self.norm, self.eps, n_queries=self.n_queries, p_init=self.p_init,
                            restarts=self.restarts, seed=self.seed, keep='misclassified')

    def build(self, logits_fn: LogitsFn, device: torch.device) -> SquareAttack:
        """The configured ``pyautoattack`` attack object."""
        return SquareAttack(logits_fn, norm=AA_NORMS[self.norm], n_queries=self.n_queries,
                            eps=aa_eps(self.eps, self.norm), p_init=self.p_init, n_restarts=self.restarts,
                            seed=self.seed, verbose=False, resc_schedule=False, device=device)

    def __call__(self, logits_fn: LogitsFn, images: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        images = images.detach()
        with preserved_rng(images.device), torch.no_grad():
            return self.build(logits_fn, images.device).perturb(images, labels).detach()
