"""Fast AT (Wong et al. 2020) and free AT (Shafahi et al. 2019) on the hand-set linear classifier, against the
perturbations and weight updates computed by hand."""
from pathlib import Path

import torch
from mmengine.config import Config

from .hand_set_classifier import build_hand_set_model
from .test_robust_training_losses import LABELS, batch, logits_of

CONFIGS = Path(__file__).parents[2] / 'configs'


def fast_at_attack() -> dict:
    """The attack of the fast-AT recipes (one config for the R-50 baseline, MPM and the synthetic MPM)."""
    attacks = [Config.fromfile(str(CONFIGS / name)).model.attack.to_dict() for name in (
        'baseline/baseline_r50_fast-at.py', 'mpm/mpm_r50_fast-at.py', 'mpm/mpm_r18_synthetic_fast-at.py')]
    assert attacks[0] == attacks[1] == attacks[2]
    return attacks[0]


def test_fast_at_is_fgsm_of_1_25_eps_from_a_uniform_start():
    attack = fast_at_attack()
    model = build_hand_set_model(type='AdvImageClassifier', attack=attack).train()
    eps, alpha = attack['eps'] / 255, 1.25 * attack['eps'] / 255
    seen = []
    inner = model.attack
    model.attack = lambda fn, images, labels: seen.append((images, inner(fn, images, labels))) or seen[-1][1]
    inputs, data_samples = batch(model)
    torch.manual_seed(0)
    losses = model(inputs, data_samples, mode='loss')

    images, adversarial = seen[0]
    torch.manual_seed(0)
    start = (images + torch.empty_like(images).uniform_(-eps, eps)).clamp(0, 1)  # the same draw, by hand
    # the gradient sign of the linear model: red towards the other class (+ for label 0), nothing on green and blue
    sign = torch.zeros_like(images)
    sign[:, 0] = torch.tensor([1.0 if label == 0 else -1.0 for label in LABELS]).view(-1, 1, 1)
    by_hand = torch.min(torch.max(start + alpha * sign, images - eps), images + eps).clamp(0, 1)
    torch.testing.assert_close(adversarial, by_hand, atol=1e-6, rtol=0)
    assert not torch.equal(by_hand[:, 0], (images + eps * sign)[:, 0])  # some pixels end inside the ball
    reds = 255 * adversarial[:, 0].mean(dim=(1, 2))
    logits = logits_of(reds.double())
    ce = sum(float(torch.logsumexp(logits[i], 0) - logits[i, y]) for i, y in enumerate(LABELS)) / len(LABELS)
    assert abs(losses['loss'].item() - ce) < 1e-5  # the training loss is taken at the stepped point
