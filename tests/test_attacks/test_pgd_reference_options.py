"""PGD's options that reproduce other codebases' training attacks, each on a hand-computable case against what the
reference code does: one iterate per batch by its mean loss and a label-smoothed loss (PIN++'s adv_utils.py), the
Gaussian start (TRADES), the random start clamped inside the graph (Wong et al.'s ImageNet fast AT)."""
import pytest
import torch
import torch.nn.functional as F

from mmpart.attacks import PGD

from .straight_through import ALPHA, CENTRE, LOWER_LOSS_BREAK, TABLES, position_images, table_logits_fn


def positions(images):
    return ((images[:, 0, 0, 0] - CENTRE) / ALPHA).round().long().tolist()


def test_batch_loss_keeps_the_iterate_of_highest_batch_mean_loss():
    # samples 1 and 2 of the straight-through tables: sample 1's loss peaks at iterate 2, sample 2's at iterate 1;
    # the batch means are highest at iterate 2, so the reference (replace_best on the batch-mean loss) returns
    # iterate 2 for both, where the per-sample rule returns [2, 1]
    ids, labels = (1, LOWER_LOSS_BREAK), torch.tensor([0, 0])
    loss = torch.stack([F.cross_entropy(TABLES[i], torch.zeros(4, dtype=torch.long), reduction='none') for i in ids])
    assert loss.argmax(1).tolist() == [2, 1] and loss.mean(0).argmax() == 2
    returned = {}
    for keep in ('batch_loss', 'loss'):
        result = PGD(eps=40, steps=3, step_size=ALPHA * 255, random_start=False, keep=keep).run(
            table_logits_fn(), position_images(ids), labels)
        returned[keep] = positions(result.images)
        torch.testing.assert_close(result.logits, table_logits_fn()(result.images))
    assert returned == dict(batch_loss=[2, 2], loss=[2, 1])


def test_batch_loss_keeps_the_earlier_iterate_on_a_tie():
    # samples 0 and 2 have the same batch-mean loss at iterates 1 and 2 (their tables swap the two rows): the
    # reference replaces only on a strictly higher loss
    ids, labels = (0, LOWER_LOSS_BREAK), torch.tensor([0, 0])
    attack = PGD(eps=40, steps=3, step_size=ALPHA * 255, random_start=False, keep='batch_loss')
    assert positions(attack(table_logits_fn(), position_images(ids), labels)) == [1, 1]


def test_label_smoothed_loss_is_the_soft_target_cross_entropy():
    logits, labels = torch.tensor([[2.0, 0.0, -1.0], [0.5, 1.0, 0.0]]), torch.tensor([0, 2])
    attack = PGD(eps=4, steps=1, label_smoothing=0.1)
    # timm's SoftTargetCrossEntropy on the reference's smoothed targets: 1 - 0.1 + 0.1/3 on the label, 0.1/3 elsewhere
    targets = torch.full((2, 3), 0.1 / 3).scatter(1, labels[:, None], 0.9 + 0.1 / 3)
    torch.testing.assert_close(attack.loss_fn(logits, labels), -(targets * logits.log_softmax(1)).sum(1))
    assert attack.threat_model()['label_smoothing'] == 0.1 and 'label_smoothing' not in PGD().threat_model()


def test_label_smoothed_attack_moves_a_confident_sample_the_other_way():
    # one pixel, logits (10x, 0): at x = 0.5 the sample is classified as class 0 with p0 = 0.993 > 0.95, where the
    # smoothed target's loss falls towards p0 = 0.95: its gradient points the opposite way of the plain loss's
    def logits_fn(x):
        z = 10 * x.flatten(1)[:, :1]
        return torch.cat([z, torch.zeros_like(z)], dim=1)

    images, labels = torch.full((1, 1, 1, 1), 0.5), torch.tensor([0])
    plain = PGD(eps=4, steps=1, step_size=4, random_start=False, keep='last')(logits_fn, images, labels)
    smoothed = PGD(eps=4, steps=1, step_size=4, random_start=False, keep='last', label_smoothing=0.1)(
        logits_fn, images, labels)
    torch.testing.assert_close(plain, images - 4 / 255)  # towards class 1
    torch.testing.assert_close(smoothed, images + 4 / 255)  # towards p0 = 1, where the smoothed loss is higher


def test_reference_options_are_checked():
    for kwargs, match in ((dict(label_smoothing=0.1, loss='margin'), "label_smoothing smooths the cross entropy"),
                          (dict(label_smoothing=1.0), 'must be in \\[0, 1\\)'),
                          (dict(start_noise='normal'), "start_noise must be one of \\('uniform', 'gaussian'\\)"),
                          (dict(start_std=-1.0), 'start_std >= 0')):
        with pytest.raises(ValueError, match=match):
            PGD(**kwargs)


def small_net():
    """A fixed two-layer network on 4x4 RGB images (non-linear, so the KL gradient changes along the path)."""
    generator = torch.Generator().manual_seed(0)
    w, v = torch.randn(48, 16, generator=generator), torch.randn(16, 5, generator=generator)
    return lambda x: torch.tanh(x.flatten(1) @ w) @ v


def trades_reference_attack(model, x_natural, step_size, epsilon, perturb_steps):
    """yaodongyu/TRADES trades.py, the L∞ attack of trades_loss (on the CPU)."""
    criterion_kl = torch.nn.KLDivLoss(reduction='sum')
    x_adv = x_natural.detach() + 0.001 * torch.randn(x_natural.shape).detach()
    for _ in range(perturb_steps):
        x_adv.requires_grad_()
        with torch.enable_grad():
            loss_kl = criterion_kl(F.log_softmax(model(x_adv), dim=1), F.softmax(model(x_natural), dim=1))
        grad = torch.autograd.grad(loss_kl, [x_adv])[0]
        x_adv = x_adv.detach() + step_size * torch.sign(grad.detach())
        x_adv = torch.min(torch.max(x_adv, x_natural - epsilon), x_natural + epsilon)
        x_adv = torch.clamp(x_adv, 0.0, 1.0)
    return x_adv


def test_gaussian_start_kl_attack_is_the_trades_attack():
    torch.manual_seed(1)
    images = torch.rand(8, 3, 4, 4)
    images[0], images[1] = 0.0, 1.0  # saturated: TRADES' start leaves [0, 1] there
    model = small_net()
    torch.manual_seed(2)
    expected = trades_reference_attack(model, images, 2 / 255, 8 / 255, 3)
    attack = PGD(eps=8, steps=3, step_size=2, start_noise='gaussian', loss='kl', keep='last')
    torch.manual_seed(2)
    adversarial = attack(model, images, F.softmax(model(images), dim=1).detach())
    torch.testing.assert_close(adversarial, expected, rtol=0, atol=1e-6)
    assert attack.threat_model()['start_noise'] == 'gaussian' and attack.threat_model()['start_std'] == 0.001


def test_gaussian_start_is_a_small_unclamped_normal_step():
    images = torch.zeros(2, 3, 8, 8)
    images[1] = 1.0
    torch.manual_seed(0)
    noise = 0.001 * torch.randn_like(images)
    torch.manual_seed(0)
    start = PGD(eps=4, start_noise='gaussian')._start(images)
    torch.testing.assert_close(start, images + noise)
    assert start.min() < 0 and start.max() > 1  # as the reference: the first forward pass sees it unclamped
    torch.manual_seed(0)
    assert torch.equal(PGD(eps=4, start_noise='gaussian', start_std=0.0)._start(images), images)
    # the returned point is in [0, 1] even if it is the start (keep='loss' with a loss that never rises)
    adversarial = PGD(eps=4, steps=1, step_size=0, start_noise='gaussian', keep='loss')(
        lambda x: torch.zeros(x.size(0), 2), images, torch.zeros(2, dtype=torch.long))
    assert adversarial.min() >= 0 and adversarial.max() <= 1
