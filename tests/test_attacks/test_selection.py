"""IterateSelector: the bookkeeping of which point an attack returns, fed by hand."""
import pytest
import torch

from mmpart.attacks.selection import IterateSelector, with_default_keep


def feed(selector, x_value, loss, predicted, index=(0, 1), labels=(0, 0)):
    index = torch.tensor(index)
    x = torch.full((len(index), 1), float(x_value))
    logits = torch.nn.functional.one_hot(torch.tensor(predicted), 2).float()
    return selector.update(index, x, torch.tensor(loss), logits, torch.tensor(labels))


@pytest.mark.parametrize('keep,expected', [
    ('last', [3.0, 3.0]),  # the last fed, whatever its loss
    ('loss', [2.0, 1.0]),  # highest loss; on a tie (sample 1) the earlier point stays
    ('misclassified', [1.0, 2.0]),  # sample 0: its first misclassified point; sample 1: its highest loss
])
def test_rules(keep, expected):
    selector = IterateSelector(torch.zeros(2, 1), keep)
    broken = feed(selector, 1.0, [0.5, 0.7], [1, 0])
    assert (broken is None) == (keep != 'misclassified')
    if keep == 'misclassified':
        assert broken.tolist() == [True, False] and selector.broken.tolist() == [True, False]
        feed(selector, 2.0, [0.9], [0], index=(1, ), labels=(0, ))  # sample 0 has left the batch
        feed(selector, 3.0, [0.7], [0], index=(1, ), labels=(0, ))
    else:
        feed(selector, 2.0, [0.9, 0.7], [0, 0])
        feed(selector, 3.0, [0.1, 0.7], [0, 0])
    assert selector.images[:, 0].tolist() == expected
    # the logits and losses stored are those of the returned points
    assert selector.logits.argmax(1).tolist() == [1 if keep == 'misclassified' else 0, 0]


def test_never_updated_samples_come_back_clean_and_defaults_are_set_only_where_taken():
    selector = IterateSelector(torch.tensor([[5.0], [6.0]]), 'loss')
    feed(selector, 1.0, [0.3], [0], index=(1, ), labels=(0, ))
    assert selector.images[:, 0].tolist() == [5.0, 1.0] and selector.seen.tolist() == [False, True]
    assert with_default_keep(dict(type='PGD'), 'loss') == dict(type='PGD', keep='loss')
    assert with_default_keep(dict(type='PGD', keep='last'), 'loss') == dict(type='PGD', keep='last')
    assert with_default_keep(dict(type='AutoAttack'), 'loss') == dict(type='AutoAttack')
    with pytest.raises(ValueError,
                       match="keep must be one of \\['misclassified', 'loss', 'last', 'batch_loss'\\], got 'best'"):
        IterateSelector(torch.zeros(1, 1), 'best')


def test_misclassified_point_replaces_an_earlier_correct_one_of_higher_loss():
    selector = IterateSelector(torch.zeros(1, 1), 'misclassified')
    assert feed(selector, 1.0, [0.9], [0], index=(0, ), labels=(0, )).tolist() == [False]  # correct, high loss
    assert feed(selector, 2.0, [0.4], [1], index=(0, ), labels=(0, )).tolist() == [True]  # wrong, lower loss
    assert selector.images[:, 0].tolist() == [2.0] and selector.broken.tolist() == [True]
    assert selector.logits.argmax(1).tolist() == [1] and selector.loss.tolist() == [pytest.approx(0.4)]
