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
