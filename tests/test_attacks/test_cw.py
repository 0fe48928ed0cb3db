"""CW-L∞ is PGD on the margin loss, with PGD's selection rule."""
import torch

from mmpart.attacks import CW, PGD
from mmpart.registry import ATTACKS


def test_cw_is_pgd_with_margin_loss():
    torch.manual_seed(0)
    w = torch.randn(12, 4)

    def logits_fn(x):
        return x.flatten(1) @ w

    images, labels = torch.rand(5, 3, 2, 2), torch.tensor([0, 1, 2, 3, 0])
    for keep in ('misclassified', 'loss'):
        cw = ATTACKS.build(dict(type='CW', eps=8, steps=3, random_start=False, keep=keep))
        assert isinstance(cw, CW) and cw.loss_name == 'margin' and cw.keep == keep
        expected = PGD(eps=8, steps=3, random_start=False, loss='margin', keep=keep)(logits_fn, images, labels)
        assert torch.equal(cw(logits_fn, images, labels), expected)
    assert not torch.equal(expected, PGD(eps=8, steps=3, random_start=False, keep='loss')(logits_fn, images, labels))
    assert CW().keep == 'misclassified' and CW(norm='l2').eps == 2.0
    assert CW(restarts=3).restarts == 3 and CW(random_start=False).random_start is False
