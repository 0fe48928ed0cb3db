"""Expectation over transformation: gradients averaged over forward passes, so a model with test-time randomness is
not overrated."""
import pytest
import torch
from mmengine.dataset import pseudo_collate

from mmpart.attacks import APGD, CW, PGD
from mmpart.attacks.gradients import loss_and_input_gradient
from mmpart.attacks.losses import cross_entropy
from mmpart.engine.loops import adversarial_predictions
from mmpart.evaluation.metrics import RobustAccuracy
from mmpart.registry import DATASETS
from mmpart.utils import register_all_modules

from ..test_engine.hand_set_classifier import build_hand_set_model, expected_accuracy, hand_set_config, make_margin_data

RANDOM_GATE = dict(type='RandomGateConv2d', in_channels=3, out_channels=1, kernel_size=1)


@pytest.fixture(scope='module')
def data_root(tmp_path_factory):
    return make_margin_data(tmp_path_factory.mktemp('eot'))


def robust_accuracy(model, data_root, attack, seed=0) -> float:
    register_all_modules()
    dataset = DATASETS.build(hand_set_config(data_root).test_dataloader.dataset)
    batch = pseudo_collate([dataset[i] for i in range(len(dataset))])
    torch.manual_seed(seed)
    metric = RobustAccuracy()
    metric.process(batch, [s.to_dict() for s in adversarial_predictions(model, batch, attack)])
    return metric.compute_metrics(metric.results)['robust_top1']


def test_gradients_are_averaged_over_passes():
    calls = []

    def logits_fn(x):  # pass i has the input gradient (i + 1) * w on the true class's logit
        calls.append(1)
        w = torch.tensor([1.0, -2.0]).view(1, 2, 1, 1)
        value = (x * w * len(calls)).flatten(1).sum(1)
        return torch.stack([value, torch.zeros_like(value)], dim=1)

    x = torch.ones(1, 2, 1, 1)
    _, grad, logits = loss_and_input_gradient(logits_fn, cross_entropy, x, torch.tensor([1]), eot_iter=3)
    p0 = [torch.tensor([k * -1.0, 0.0]).softmax(0)[0] for k in (1, 2, 3)]  # P(class 0) at each pass
    expected = sum(p * k for p, k in zip(p0, (1, 2, 3))) / 3 * torch.tensor([1.0, -2.0])
    torch.testing.assert_close(grad.flatten(), expected)
    assert len(calls) == 3 and torch.equal(logits, torch.tensor([[-3.0, 0.0]]))  # the last pass's logits
    calls.clear()
    loss_and_input_gradient(logits_fn, cross_entropy, x, torch.tensor([1]), eot_iter=2)
    assert len(calls) == 2  # two passes are already an expectation


def test_a_graph_that_does_not_reach_the_input_gives_a_zero_gradient():
    _, grad, _ = loss_and_input_gradient(lambda x: x.detach().flatten(1)[:, :2], cross_entropy, torch.rand(2, 2, 1, 1),
                                         torch.tensor([0, 1]))
    assert torch.equal(grad, torch.zeros(2, 2, 1, 1))


def test_eot_recovers_the_closed_form_of_a_randomised_model(data_root):
    # 9 passes in 10 carry no gradient: one pass per step rarely moves; the average over 40 almost always does
    model = build_hand_set_model(backbone=RANDOM_GATE)
    single = PGD(eps=4, steps=10, step_size=1, random_start=False)
    eot = PGD(eps=4, steps=10, step_size=1, random_start=False, eot_iter=40)
    assert robust_accuracy(model, data_root, eot) == pytest.approx(expected_accuracy(4))
    assert robust_accuracy(model, data_root, single) > expected_accuracy(4)  # overrated without EoT (seeded)
    assert robust_accuracy(model, data_root, CW(eps=4, steps=10, step_size=1, random_start=False, eot_iter=40)) == \
        pytest.approx(expected_accuracy(4))
    assert eot.threat_model()['eot_iter'] == 40 and 'eot_iter' not in single.threat_model()


def test_apgd_passes_eot_to_the_reference_code():
    attack = APGD(eps=4, eot_iter=5)
    assert attack.build(lambda x: x, torch.device('cpu')).eot_iter == 5 and attack.threat_model()['eot_iter'] == 5
    assert APGD(eps=4).build(lambda x: x, torch.device('cpu')).eot_iter == 1
    assert APGD(eps=4, eot_iter=2).threat_model()['eot_iter'] == 2 and 'eot_iter' not in APGD(eps=4).threat_model()
    assert PGD(eps=4, eot_iter=2).threat_model()['eot_iter'] == 2
    with pytest.raises(ValueError, match='eot_iter >= 1'):
        PGD(eot_iter=0)
