"""mmpart.apis: top-k classes through mmpretrain's inferencer, the bypass's parts, adversarial examples; checked
on the hand-set classifier (logits known in closed form); the MPM side in tests/test_tools/test_image_demo.py."""
import math

import mmpretrain.apis.base
import numpy as np
import pytest
from PIL import Image

from mmpart.apis import attack_image, display_class_names, inference_model, inference_parts, init_model

from ..test_engine.hand_set_classifier import SLOPE, THRESHOLD, hand_set_config, write_checkpoint


def uniform_image(path, red: float) -> str:
    Image.fromarray(np.full((8, 8, 3), [red, 100, 180], dtype=np.uint8)).save(path)
    return str(path)


@pytest.fixture(scope='module')
def hand_set_model(tmp_path_factory):
    root = tmp_path_factory.mktemp('apis')
    return root, init_model(hand_set_config(str(root)), write_checkpoint(root / 'hand_set.pth'))


@pytest.mark.parametrize('distance', [-6.5, 2.5])
def test_top_k_are_the_closed_form_probabilities(hand_set_model, distance):
    root, model = hand_set_model
    prediction = inference_model(model, uniform_image(root / 'img.png', THRESHOLD + distance), topk=5)
    p1 = 1 / (1 + math.exp(-SLOPE * distance))  # softmax of the logit gap SLOPE * (red - 127.5)
    expected = sorted([(p1, 1), (1 - p1, 0)], reverse=True)
    assert prediction.labels == [label for _, label in expected]  # only 2 classes: top-2
    assert prediction.scores == pytest.approx([p for p, _ in expected], abs=1e-5)
    assert prediction.names == [str(label) for label in prediction.labels]  # the checkpoint names no classes


@pytest.mark.parametrize('eps, flips', [(2, False), (3, True)])
def test_the_attack_flips_exactly_beyond_the_margin(hand_set_model, eps, flips):
    root, model = hand_set_model
    image = uniform_image(root / 'margin.png', THRESHOLD + 2.5)  # class 1, 2.5/255 from the boundary
    example = attack_image(model, image, 'pgd', eps=eps, steps=10, random_start=False)
    assert example.clean.labels[0] == 1
    assert example.attacked.labels[0] == (0 if flips else 1)
    np.testing.assert_allclose(example.image[..., 0], (THRESHOLD + 2.5) / 255, atol=1e-6)
    # a linear model's gradient is on the red channel only, signed towards the boundary
    np.testing.assert_allclose(example.perturbation[..., 0], -eps / 255, atol=1e-6)
    np.testing.assert_allclose(example.perturbation[..., 1:], 0, atol=1e-7)
    assert example.attack == dict(type='PGD', eps=eps, steps=10, random_start=False)


def test_a_classifier_without_bypass_has_no_parts(hand_set_model):
    root, model = hand_set_model
    with pytest.raises(TypeError, match='no part bypass'):
        inference_parts(model, uniform_image(root / 'img.png', 10))


def test_one_image_runs_without_the_inferencers_progress_bar(hand_set_model, monkeypatch):
    """mmpretrain's ``__call__`` draws a progress bar (in a terminal) that the printed result line runs into."""
    monkeypatch.setattr(mmpretrain.apis.base, 'track', lambda *args, **kwargs: pytest.fail('progress bar drawn'))
    root, model = hand_set_model
    assert inference_model(model, uniform_image(root / 'img.png', THRESHOLD + 2.5)).labels[0] == 1


def test_imagenet_wnids_get_their_names():
    assert display_class_names(['n01440764', 'n99999999']) == ['tench, Tinca tinca (n01440764)', 'n99999999']

