"""RFS's evaluation head (Tian et al. 2020): a logistic regression fitted on each episode's support set."""
import numpy as np
import torch
from sklearn.linear_model import LogisticRegression

from mmpart.registry import MODELS

from .few_shot_head import BaseFewShotHead

__all__ = ['LogisticRegressionHead']


@MODELS.register_module()
class LogisticRegressionHead(BaseFewShotHead):
    """Logits = log-probabilities of a scikit-learn multinomial logistic regression fitted on the support set.

    The pretrain-then-probe baseline: the backbone is frozen (trained as a plain classifier), features are
    L2-normalised as in RFS, and the probe is fitted per episode. It is not trained by back-propagation, so
    it is a test-time head (``MetaTestLoop(head=dict(type='LogisticRegressionHead'))``).

    Args:
        C: inverse L2 regularisation strength.
        max_iter: iterations of the L-BFGS solver.
        normalize: L2-normalise the features first.
        **kwargs: :class:`BaseFewShotHead` arguments.
    """

    def __init__(self, C: float = 1.0, max_iter: int = 1000, normalize: bool = True, **kwargs) -> None:
        super().__init__(**kwargs)
        self.C, self.max_iter, self.normalize = C, max_iter, normalize

    @torch.no_grad()
    def episode_logits(self, support: torch.Tensor, support_labels: torch.Tensor, query: torch.Tensor,
                       num_ways: int) -> torch.Tensor:
        if self.normalize:
            support, query = (torch.nn.functional.normalize(x, dim=1) for x in (support, query))
        probe = LogisticRegression(C=self.C, max_iter=self.max_iter, random_state=0)
        probe.fit(support.double().cpu().numpy(), support_labels.cpu().numpy())
        log_proba = np.full((len(query), num_ways), -np.inf)
        log_proba[:, probe.classes_] = probe.predict_log_proba(query.double().cpu().numpy())
        return torch.from_numpy(log_proba).to(query)

    def loss(self, feats, data_samples) -> dict:
        raise NotImplementedError('LogisticRegressionHead is fitted per episode, not trained: pretrain the backbone '
                                  'as a classifier and use this head in MetaTestLoop')
