"""Input gradients under fp16 autocast: a confidently classified sample's gradient must not underflow to 0."""
import torch
import torch.nn as nn
import torch.nn.functional as F

from mmpart.attacks import PGD
from mmpart.attacks.gradients import fp16_autocast, loss_and_input_gradient
from mmpart.attacks.losses import cross_entropy


def confident_model() -> nn.Module:
    """2 classes, logit gap ``40 (mean(x) - 0.25)``: at x = 0.75 class 1 wins by 20 (p(class 0) = 2e-9, below
    fp16's smallest subnormal, 6e-8)."""
    torch.manual_seed(0)
    linear = nn.Linear(12, 2)
    with torch.no_grad():
        linear.weight.copy_(torch.stack([torch.full((12, ), -20 / 12), torch.full((12, ), 20 / 12)]))
        linear.bias.copy_(torch.tensor([0.0, -10.0]))
    return nn.Sequential(nn.Flatten(), linear)


def batch():
    torch.manual_seed(0)
    return 0.75 + 0.01 * torch.rand(4, 3, 2, 2), torch.ones(4, dtype=torch.long)


def test_plain_fp16_input_gradient_underflows():
    # the failure being fixed: the autograd gradient of the summed loss is exactly 0 under fp16 autocast
    model, (images, labels) = confident_model(), batch()
    x = images.clone().requires_grad_(True)
    with torch.autocast('cpu', dtype=torch.float16):
        assert fp16_autocast('cpu')
        grad, = torch.autograd.grad(cross_entropy(model(x), labels).sum(), x)
    assert not fp16_autocast('cpu') and (grad == 0).all()
    with torch.autocast('cpu', dtype=torch.bfloat16):
        assert not fp16_autocast('cpu')  # bfloat16 has float32's range: no rescaling needed


def test_fp16_gradient_has_the_fp32_sign():
    model, (images, labels) = confident_model(), batch()
    loss32, grad32, logits32 = loss_and_input_gradient(model, cross_entropy, images, labels)
    assert (grad32 != 0).all()
    with torch.autocast('cpu', dtype=torch.float16):
        loss16, grad16, logits16 = loss_and_input_gradient(model, cross_entropy, images, labels)
    assert logits16.dtype == torch.float16 and loss16.dtype == torch.float32
    assert torch.equal(grad16.sign(), grad32.sign())
    torch.testing.assert_close(loss16, loss32, rtol=0.1, atol=1e-8)


def test_each_sample_is_rescaled_on_its_own():
    # a confident sample next to an uncertain one, whose much larger gradient must not set the scale of both
    model, (images, labels) = confident_model(), batch()
    images[0] = 0.95  # a gap of 28: p(wrong) ~ 7e-13, which the uncertain sample's scale would flush to 0 in fp16
    images[1] = 0.25  # on the decision boundary: logit gradient ~0.5
    with torch.autocast('cpu', dtype=torch.float16):
        _, grad16, _ = loss_and_input_gradient(model, cross_entropy, images, labels)
    _, grad32, _ = loss_and_input_gradient(model, cross_entropy, images, labels)
    assert (grad16 != 0).all() and torch.equal(grad16.sign(), grad32.sign())


def test_pgd_under_fp16_autocast_moves_every_pixel():
    model, (images, labels) = confident_model(), batch()
    # keep='last': at this confidence the fp32 cross entropy itself is 0 at every iterate, so no loss ranks them
    attack = PGD(eps=4, steps=2, step_size=4, random_start=False, keep='last')
    expected = attack(model, images, labels)
    torch.testing.assert_close(expected, images - 4 / 255)  # every pixel pushed towards class 0
    with torch.autocast('cpu', dtype=torch.float16):
        adv = attack(model, images, labels)
    torch.testing.assert_close(adv, expected)


class InfiniteGradient(torch.autograd.Function):
    """Identity whose backward sends an infinite gradient to sample 1."""

    @staticmethod
    def forward(ctx, x):
        return x.clone()

    @staticmethod
    def backward(ctx, grad):
        grad = grad.clone()
        grad[1] = float('inf')
        return grad


def test_non_finite_gradients_are_skipped():
    model, (images, labels) = confident_model(), batch()
    with torch.autocast('cpu', dtype=torch.float16):
        _, grad, _ = loss_and_input_gradient(lambda x: model(InfiniteGradient.apply(x)), cross_entropy, images,
                                             labels)
    assert (grad[1] == 0).all() and (grad[[0, 2, 3]] != 0).all()


class LargeBackwardGain(torch.autograd.Function):
    """Identity on fp16 logits whose backward multiplies sample 1's gradient by 200 (a large Jacobian)."""

    @staticmethod
    def forward(ctx, logits):
        return logits.clone()

    @staticmethod
    def backward(ctx, grad):
        grad = grad.clone()
        grad[1] = grad[1] * 200
        return grad


def test_an_overflowing_sample_is_sent_back_at_a_smaller_scale():
    # at the first scale (2**10) sample 1's fp16 gradient overflows (2**10 * 200 * 20/12 > 65504); the next one
    # (2**2) fits: every sample gets its fp32 sign, sample 1 from the second backward pass
    model, (images, labels) = confident_model(), batch()
    images[1] = 0.25  # not confident: its fp32 gradient has a normal size
    forward = lambda x: LargeBackwardGain.apply(model(x))  # noqa: E731
    with torch.autocast('cpu', dtype=torch.float16):
        _, grad16, _ = loss_and_input_gradient(forward, cross_entropy, images, labels)
        assert model(images).dtype == torch.float16  # the gain acts on fp16 gradients
    _, grad32, _ = loss_and_input_gradient(forward, cross_entropy, images, labels)
    assert (grad16 != 0).all() and torch.equal(grad16.sign(), grad32.sign())


def test_fp32_path_is_the_plain_gradient():
    model, (images, labels) = confident_model(), batch()
    images = images - 0.5  # a less confident point: fp32 gradients of a normal size
    x = images.clone().requires_grad_(True)
    expected, = torch.autograd.grad(F.cross_entropy(model(x), labels, reduction='sum'), x)
    _, grad, _ = loss_and_input_gradient(model, cross_entropy, images, labels)
    torch.testing.assert_close(grad, expected)
