"""The attack losses against hand computations."""
import math

import pytest
import torch

from mmpart.attacks.losses import kl_divergence


def test_kl_divergence_of_the_clean_prediction_by_hand():
    logits = torch.tensor([[0.0, math.log(3.0)], [0.0, math.log(3.0)]])  # softmax (1/4, 3/4)
    target = torch.tensor([[0.5, 0.5], [1.0, 0.0]])  # the second: 0 · log 0 counts 0
    expected = [0.5 * math.log(0.5 / 0.25) + 0.5 * math.log(0.5 / 0.75), math.log(1.0 / 0.25)]
    torch.testing.assert_close(kl_divergence(logits, target), torch.tensor(expected), atol=1e-6, rtol=0)
    with pytest.raises(ValueError, match=r'^the kl loss compares with N x C target probabilities \(TRADES: the clean '
                       r'predictions\), got labels of shape \(2,\)$'):
        kl_divergence(logits, torch.tensor([0, 1]))
