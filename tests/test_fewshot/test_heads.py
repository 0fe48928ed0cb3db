"""Few-shot heads against hand-computed logits; episode layout checks; the logistic-regression probe."""
import math

import pytest
import torch
import torch.nn.functional as F
from mmpretrain.structures import DataSample

from mmpart.models.heads import CosineProtoHead, LogisticRegressionHead, ProtoNetHead, class_means
from mmpart.utils import register_all_modules

register_all_modules()

# two ways of two shots in 2-d: means (1, 0) and (0, 3)
SUPPORT = torch.tensor([[0., 0.], [2., 0.], [0., 2.], [0., 4.]])
SUPPORT_WAYS = torch.tensor([0, 0, 1, 1])
QUERY = torch.tensor([[1., 1.], [3., 0.], [1., 2.]])


def test_class_means():
    assert torch.equal(class_means(SUPPORT, SUPPORT_WAYS, 2), torch.tensor([[1., 0.], [0., 3.]]))


def test_protonet_logits_are_minus_squared_distances_to_the_means():
    logits = ProtoNetHead().episode_logits(SUPPORT, SUPPORT_WAYS, QUERY, 2)
    # (1,1): 0+1, 1+4; (3,0): 4+0, 9+9; (1,2): 0+4, 1+1
    assert torch.allclose(logits, -torch.tensor([[1., 5.], [4., 18.], [4., 2.]]), atol=1e-5)


def test_cosine_logits_are_temperature_times_cosine_to_the_centroids():
    head = CosineProtoHead(temperature=10.0)
    logits = head.episode_logits(SUPPORT, SUPPORT_WAYS, QUERY, 2)
    r2, r5 = math.sqrt(2), math.sqrt(5)
    expected = 10 * torch.tensor([[1 / r2, 1 / r2], [1., 0.], [1 / r5, 2 / r5]])
    assert torch.allclose(logits, expected, atol=1e-5)
    assert head.temperature.requires_grad
    assert not CosineProtoHead(learnable_temperature=False).temperature.requires_grad


def episode_batch(labels):
    return [DataSample().set_gt_label(label) for label in labels]


def test_loss_reads_the_episode_layout_and_trains_the_temperature():
    head = CosineProtoHead(temperature=10.0, num_ways=2, num_shots=2, num_queries=1)
    feats = torch.cat([SUPPORT, QUERY[[1, 2]]])  # queries: (3,0) of way 0, (1,2) of way 1
    losses = head.loss((feats, ), episode_batch([7, 7, 3, 3, 7, 3]))
    logits = head.episode_logits(SUPPORT, SUPPORT_WAYS, QUERY[[1, 2]], 2)
    assert torch.allclose(losses['loss'], F.cross_entropy(logits, torch.tensor([0, 1])))
    assert losses['accuracy'] == 100
    losses['loss'].backward()
    assert head.temperature.grad is not None and head.temperature.grad != 0


def test_loss_flattens_spatial_features():
    head = ProtoNetHead(num_ways=2, num_shots=1, num_queries=1)
    feats = torch.arange(4 * 3 * 2 * 2, dtype=torch.float).view(4, 3, 2, 2)
    assert head.pre_logits((feats, )).shape == (4, 12)
    assert torch.isfinite(head.loss((feats, ), episode_batch([1, 0, 1, 0]))['loss'])


@pytest.mark.parametrize('labels, message', [
    ([7, 7, 3, 3, 7], 'the batch has 5 images, a 2-way 2-shot 1-query episode has 6'),
    ([7, 3, 7, 3, 7, 3], 'the batch is not an episode'),  # shuffled
    ([7, 7, 7, 7, 7, 7], 'the batch is not an episode'),  # one class for both ways
    ([7, 7, 3, 3, 3, 7], 'the batch is not an episode'),  # queries in the wrong ways
])
def test_a_batch_that_is_not_an_episode_is_refused(labels, message):
    head = ProtoNetHead(num_ways=2, num_shots=2, num_queries=1)
    with pytest.raises(ValueError, match=f'^ProtoNetHead: {message}'):
        head.loss((torch.zeros(len(labels), 2), ), episode_batch(labels))


def test_training_needs_the_episode_shape_and_predict_points_to_the_meta_loop():
    with pytest.raises(ValueError, match='set num_ways, num_shots and num_queries'):
        ProtoNetHead().loss((torch.zeros(2, 2), ), episode_batch([0, 1]))
    with pytest.raises(NotImplementedError, match='MetaTestLoop'):
        ProtoNetHead().predict((torch.zeros(2, 2), ))


def test_logistic_regression_probe_fits_the_support_set():
    gen = torch.Generator().manual_seed(0)
    centres = torch.tensor([[4., 0., 0.], [0., 4., 0.], [0., 0., 4.]])
    support = centres.repeat_interleave(5, 0) + 0.3 * torch.randn(15, 3, generator=gen)
    query = centres.repeat_interleave(4, 0) + 0.3 * torch.randn(12, 3, generator=gen)
    head = LogisticRegressionHead()
    logits = head.episode_logits(support, torch.arange(3).repeat_interleave(5), query, 3)
    assert logits.shape == (12, 3) and logits.dtype == query.dtype
    assert torch.allclose(logits.exp().sum(1), torch.ones(12), atol=1e-5)  # log-probabilities
    assert torch.equal(logits.argmax(1), torch.arange(3).repeat_interleave(4))
    # features are L2-normalised (RFS): scaling them changes nothing
    ways = torch.arange(3).repeat_interleave(5)
    assert torch.allclose(head.episode_logits(3 * support, ways, 7 * query, 3), logits, atol=1e-6)
    assert not torch.allclose(LogisticRegressionHead(normalize=False).episode_logits(3 * support, ways, 7 * query, 3),
                              logits, atol=1e-3)
    with pytest.raises(NotImplementedError, match='fitted per episode'):
        head.loss((query, ), [])


def test_defaults_options_and_messages_in_full():
    probe = LogisticRegressionHead()
    assert (probe.C, probe.max_iter, probe.normalize) == (1.0, 1000, True)  # RFS's probe
    assert float(CosineProtoHead().temperature) == 10.0
    init_cfg = dict(type='Constant', val=1, layer='Linear')
    assert ProtoNetHead(init_cfg=init_cfg).init_cfg == init_cfg
    spatial = torch.arange(8.).view(2, 2, 2, 1)
    assert torch.equal(ProtoNetHead()((spatial, )), spatial.flatten(1))  # mode='tensor': the compared features
    # a configured loss is the one computed: twice the weight, twice the default loss
    feats, labels = (torch.cat([SUPPORT, QUERY[[1, 2]]]), ), episode_batch([7, 7, 3, 3, 7, 3])
    shape = dict(num_ways=2, num_shots=2, num_queries=1)
    default = ProtoNetHead(**shape).loss(feats, labels)['loss']
    doubled = ProtoNetHead(**shape, loss=dict(type='CrossEntropyLoss', loss_weight=2.0)).loss(feats, labels)['loss']
    torch.testing.assert_close(doubled, 2 * default)
    with pytest.raises(ValueError, match=r'^ProtoNetHead: set num_ways, num_shots and num_queries \(the training '
                       r'episode shape\) to train$'):
        ProtoNetHead().loss((torch.zeros(2, 2), ), episode_batch([0, 1]))
    with pytest.raises(NotImplementedError, match=r"^CosineProtoHead classifies episodes, not batches: evaluate with "
                       r"test_cfg=dict\(type='MetaTestLoop', \.\.\.\)$"):
        CosineProtoHead().predict((torch.zeros(2, 2), ))
    with pytest.raises(NotImplementedError, match='^LogisticRegressionHead is fitted per episode, not trained: '
                       'pretrain the backbone as a classifier and use this head in MetaTestLoop$'):
        probe.loss((torch.zeros(2, 2), ), [])
