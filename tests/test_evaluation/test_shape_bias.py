"""Shape bias on synthetic cue-conflict file names, hand-computed."""
import numpy as np
import pytest
import torch
from PIL import Image

from mmpart.datasets.robustness.imagenet_meta import SHAPE_BIAS_CATEGORIES
from mmpart.evaluation.metrics import ShapeBias
from mmpart.registry import DATASETS

CATEGORIES = sorted(SHAPE_BIAS_CATEGORIES)


def scores_for(category: str) -> torch.Tensor:
    """1000-way probabilities whose category means make ``category`` the decision."""
    scores = torch.full((1000, ), 0.1 / 1000)
    scores[list(SHAPE_BIAS_CATEGORIES[category])] += 0.5
    return scores


def test_shape_bias_hand_computed(tmp_path):
    names = ['airplane/airplane1-bicycle2.png',  # decided airplane: shape hit
             'bear/bear3-cat1.png',  # decided cat: texture hit
             'cat/cat2-dog4.png',  # decided cat: shape hit
             'dog/0042_cueconflict_dog10-bird2.png',  # decided knife: neither
             'knife/knife1-knife1.png']  # shape == texture: dropped
    decisions = ['airplane', 'cat', 'cat', 'knife', 'knife']
    for name in names:
        (tmp_path / name).parent.mkdir(exist_ok=True)
        Image.fromarray(np.zeros((4, 4, 3), np.uint8)).save(tmp_path / name)
    dataset = DATASETS.build(dict(type='CueConflictDataset', data_root=str(tmp_path)))
    infos = [dataset.get_data_info(i) for i in range(len(dataset))]
    assert [(CATEGORIES[d['gt_label']], CATEGORIES[d['texture_label']]) for d in infos] == [
        ('airplane', 'bicycle'), ('bear', 'cat'), ('cat', 'dog'), ('dog', 'bird'), ('knife', 'knife')]

    metric = ShapeBias()
    metric.dataset_meta = dataset.metainfo
    metric.process({}, [dict(pred_score=scores_for(c), gt_label=torch.tensor([d['gt_label']]),
                             texture_label=d['texture_label']) for c, d in zip(decisions, infos)])
    # 4 conflicting images: 2 shape hits, 1 texture hit
    assert metric.compute_metrics(metric.results) == dict(shape_bias=pytest.approx(2 / 3), shape_match=50.0,
                                                          texture_match=25.0)


def test_category_probabilities_are_means():
    from mmpart.evaluation.metrics import category_probabilities
    scores = torch.zeros(1, 1000)
    scores[0, 294], scores[0, 295] = 0.4, 0.2  # bear has 4 indices; knife (499) has one
    scores[0, 499] = 0.2
    probs = category_probabilities(scores, ['bear', 'knife'], SHAPE_BIAS_CATEGORIES)
    torch.testing.assert_close(probs, torch.tensor([[0.15, 0.2]]))


def test_bad_file_name(tmp_path):
    Image.fromarray(np.zeros((4, 4, 3), np.uint8)).save(tmp_path / 'tiger1-cat2.png')
    with pytest.raises(ValueError, match='tiger1-cat2.png'):
        DATASETS.build(dict(type='CueConflictDataset', data_root=str(tmp_path)))


def shape_bias_of(triples, **kwargs) -> dict:
    """ShapeBias over ``(decided, shape, texture)`` category names, with the 16 categories as classes."""
    metric = ShapeBias(**kwargs)
    metric.dataset_meta = dict(classes=CATEGORIES)
    metric.process({}, [dict(pred_score=scores_for(d), gt_label=torch.tensor([CATEGORIES.index(s)]),
                             texture_label=CATEGORIES.index(t)) for d, s, t in triples])
    return metric.evaluate(len(triples))


def test_shape_bias_counts_without_coincidences():
    # 3 shape hits, 2 texture hits, 2 neither (7 conflicting images) and 1 image whose shape equals its texture
    triples = [('cat', 'cat', 'dog')] * 3 + [('dog', 'cat', 'dog')] * 2 + [('bird', 'cat', 'dog')] * 2 + [
        ('cat', 'cat', 'cat')]
    assert shape_bias_of(triples, prefix='cue') == {
        'cue/shape_bias': pytest.approx(3 / 5), 'cue/shape_match': pytest.approx(300 / 7),
        'cue/texture_match': pytest.approx(200 / 7)}
    balanced = shape_bias_of([('cat', 'cat', 'dog'), ('dog', 'cat', 'dog')])
    assert balanced['shape_bias/shape_bias'] == 0.5
    assert np.isnan(shape_bias_of([('bird', 'cat', 'dog')])['shape_bias/shape_bias'])  # no hit at all
    with pytest.raises(ValueError, match='^ShapeBias: no image whose shape and texture categories differ$'):
        shape_bias_of([('cat', 'cat', 'cat')])


def test_custom_category_indices_and_missing_texture_label():
    # a 3-class model whose classes 0 and 1 form category 'a', class 2 category 'b'
    metric = ShapeBias(category_indices=dict(a=[0, 1], b=[2]))
    metric.dataset_meta = dict(classes=['a', 'b'])
    scores = torch.tensor([0.3, 0.3, 0.4])  # mean 0.3 for 'a', 0.4 for 'b': decided 'b'
    metric.process({}, [dict(pred_score=scores, gt_label=torch.tensor([1]), texture_label=0)])
    assert metric.evaluate(1)['shape_bias/shape_bias'] == 1.0
    with pytest.raises(KeyError, match=r"^'ShapeBias needs texture_label in the data samples: add it to "
                       r"PackInputs\(meta_keys=\.\.\.\)'$"):
        metric.process({}, [dict(pred_score=scores, gt_label=torch.tensor([1]))])
