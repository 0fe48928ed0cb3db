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


def fast_at_reference_perturbation(model, input, target, eps, step):
    """locuslab/fast_adversarial ImageNet/main_fast.py, the perturbation of one train() step (random_init,
    n_repeats 1), with ``model`` taking [0, 1] images (the normalisation the reference applies in place is inside)."""
    global_noise_data = torch.zeros_like(input)
    global_noise_data.uniform_(-eps, eps)
    noise_batch = global_noise_data[0:input.size(0)].clone().requires_grad_(True)
    in1 = input + noise_batch
    in1.clamp_(0, 1.0)
    F.cross_entropy(model(in1), target).backward()
    global_noise_data[0:input.size(0)] += step * torch.sign(noise_batch.grad)
    global_noise_data.clamp_(-eps, eps)
    return (input + global_noise_data[0:input.size(0)]).clamp(0, 1)


def test_clamp_in_graph_is_the_fast_at_perturbation():
    torch.manual_seed(1)
    images = torch.rand(8, 3, 4, 4)
    images[0], images[1] = 0.0, 1.0  # where the start leaves [0, 1] the reference's gradient is 0: δ stays
    images[2, :, :2] = 0.002  # near the edge: some starts cross it, some do not
    model, labels = small_net(), torch.arange(8) % 5
    torch.manual_seed(2)
    expected = fast_at_reference_perturbation(model, images, labels, 4 / 255, 5 / 255)
    exact = PGD(eps=4, steps=1, step_size=5, keep='last', clamp_in_graph=True)
    torch.manual_seed(2)
    torch.testing.assert_close(exact(model, images, labels), expected, rtol=0, atol=1e-6)
    torch.manual_seed(2)
    default = PGD(eps=4, steps=1, step_size=5, keep='last')(model, images, labels)
    differs = (default - expected).abs() > 1e-4
    assert differs[:2].flatten(1).any(1).all()
    assert not differs[(images > 4 / 255) & (images < 1 - 4 / 255)].any()  # only pixels a start can push out differ
    assert exact.threat_model()['clamp_in_graph'] is True and 'clamp_in_graph' not in PGD().threat_model()


def test_clamp_in_graph_keeps_a_saturated_pixels_perturbation():
    # one pixel at 1.0 whose start lands above 1: its gradient through the clamp is 0, so δ keeps its start value and
    # the returned pixel stays at 1; the textbook projection clamps the start to 1 and then steps it down
    def logits_fn(x):  # class 1 grows as the pixel falls: the attack on label 0 pushes the pixel down
        z = -10 * x.flatten(1)[:, :1]
        return torch.cat([torch.zeros_like(z), z], dim=1)

    images, labels = torch.ones(1, 1, 1, 1), torch.tensor([0])
    drawn = images + 2 / 255  # the start as the uniform draw would give it: past 1
    for clamp_in_graph, start, expected in ((True, drawn, 1.0), (False, drawn.clamp(0, 1), 1.0 - 4 / 255)):
        attack = PGD(eps=4, steps=1, step_size=5, keep='last', clamp_in_graph=clamp_in_graph)
        attack._start = lambda x, start=start: start
        assert attack(logits_fn, images, labels).item() == pytest.approx(expected)
