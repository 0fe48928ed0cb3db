"""COMPAS's compositional part head against hand computations: part activations, map coding, part attention, logits,
the clustering loss and the data-driven dictionary; one training episode end to end."""
import math

import pytest
import torch
import torch.nn.functional as F
from mmpretrain.structures import DataSample

from mmpart.models.heads import CompositionalPartHead
from mmpart.registry import MODELS
from mmpart.utils import register_all_modules

register_all_modules()


def head(**kwargs) -> CompositionalPartHead:
    cfg = dict(in_channels=2, num_parts=2, num_maps=2, map_size=(1, 2), dictionary_init='random')
    cfg.update(kwargs)
    return CompositionalPartHead(**cfg)


def test_vmf_and_cosine_part_activations_by_hand():
    h = head(kappa=2.0)
    h.parts.data = torch.tensor([[1., 0.], [0., 3.]])
    maps = torch.tensor([[[[3., 0.]], [[4., 1.]]]])  # cells (3, 4) and (0, 1)
    cos = torch.tensor([[0.6, 0.0], [0.8, 1.0]])  # part k x cell p
    torch.testing.assert_close(h.part_activations(maps)[0, :, 0], torch.exp(2.0 * (cos - 1)))
    assert head(part_activation='cosine').part_activations(maps).shape == (1, 2, 1, 2)
    h2 = head(part_activation='cosine')
    h2.parts.data = torch.tensor([[-1., 0.], [0., 1.]])
    torch.testing.assert_close(h2.part_activations(maps)[0, :, 0], torch.tensor([[0., 0.], [0.8, 1.0]]))


def test_map_coding_by_hand():
    h = head(map_temperature=1.0)
    h.maps.data = torch.tensor([[1., 0.], [1., 1.]])
    class_maps = torch.tensor([[[2., 0.], [0., 5.]]])  # one class, parts 0 and 1
    t0, t1 = torch.tensor([1., 0.]), torch.tensor([1., 1.]) / math.sqrt(2)
    # part 0 (1, 0): cosines 1 and 1/√2; part 1 (0, 1): 0 and 1/√2
    w0 = torch.softmax(torch.tensor([1., 1 / math.sqrt(2)]), 0)
    w1 = torch.softmax(torch.tensor([0., 1 / math.sqrt(2)]), 0)
    expected = torch.stack([w0[0] * t0 + w0[1] * t1, w1[0] * t0 + w1[1] * t1])[None]
    torch.testing.assert_close(h.code_maps(class_maps), expected)
    hard = head(map_coding='hard')
    hard.maps.data = h.maps.data
    torch.testing.assert_close(hard.code_maps(class_maps), torch.stack([t0, t1])[None])
    assert head(map_coding='none').code_maps(class_maps) is class_maps


def test_part_attention_starts_uniform_and_is_learned():
    h = head()
    class_maps = torch.rand(3, 2, 2)
    torch.testing.assert_close(h.part_weights(class_maps), torch.full((3, 2), 0.5))
    h.attention.bias.data = torch.tensor([0., math.log(3.)])
    torch.testing.assert_close(h.part_weights(class_maps), torch.tensor([[0.25, 0.75]] * 3))
    assert head(part_attention=False).attention is None
    torch.testing.assert_close(head(part_attention=False).part_weights(class_maps), torch.full((3, 2), 0.5))


def test_logits_by_hand():
    h = head(map_coding='none', part_attention=False, temperature=2.0, part_activation='cosine', global_weight=0.0)
    # flattened features: part activations (K=2 x 2 cells) then the pooled feature (D=2)
    support = torch.tensor([[1., 0., 0., 1., 1., 0.],    # way 0
                            [0., 1., 1., 0., 0., 1.]])   # way 1
    query = torch.tensor([[1., 1., 0., 1., 1., 1.]])
    logits = h.episode_logits(support, torch.tensor([0, 1]), query, 2)
    # way 0: part 0 cos((1,1),(1,0)) = 1/√2, part 1 cos((0,1),(0,1)) = 1; way 1: 1/√2 and 0; mean over parts
    expected = 2.0 * torch.tensor([[(1 / math.sqrt(2) + 1) / 2, (1 / math.sqrt(2) + 0) / 2]])
    torch.testing.assert_close(logits, expected)
    h.global_weight = 1.0  # + cos of the pooled features (1,1) to (1,0) and (0,1)
    torch.testing.assert_close(h.episode_logits(support, torch.tensor([0, 1]), query, 2),
                               expected + 2.0 / math.sqrt(2))


def test_cluster_loss_by_hand():
    h = head()
    h.parts.data = torch.tensor([[1., 0.], [0., 1.]])
    maps = torch.tensor([[[[3., -1.]], [[4., 0.]]]])  # cells (3, 4): max cos 0.8; (-1, 0): max cos 0
    torch.testing.assert_close(h.cluster_loss(maps), torch.tensor(((1 - 0.8) + (1 - 0.0)) / 2))


def test_batch_initialised_dictionary_and_options_are_checked():
    h = CompositionalPartHead(in_channels=3, num_parts=4, map_size=(2, 2), num_ways=2, num_shots=1, num_queries=1)
    assert not bool(h.dictionary_ready)
    maps = torch.randn(4, 3, 2, 2, generator=torch.Generator().manual_seed(0))
    samples = [DataSample().set_gt_label(c) for c in (5, 7, 5, 7)]
    losses = h.loss((maps, ), samples)
    assert bool(h.dictionary_ready) and set(losses) == {'loss', 'accuracy', 'loss_cluster'}
    cells = F.normalize(maps.permute(0, 2, 3, 1).reshape(-1, 3), dim=1)
    assert all(torch.isclose(cells, part).all(1).any() for part in h.parts.data)  # every part is one of the cells
    with pytest.raises(ValueError, match='the first batch has 4 cells for 8 parts'):
        CompositionalPartHead(in_channels=3, num_parts=8, map_size=(1, 1)).init_dictionary(torch.zeros(4, 3, 1, 1))
    with pytest.raises(ValueError, match='map_coding must be one of'):
        head(map_coding='max')
    with pytest.raises(ValueError, match=r'expected 2×1×2 maps, got \(2, 2, 2\)'):
        head().pre_logits(torch.zeros(1, 2, 2, 2))


def test_one_training_episode_end_to_end_reaches_every_parameter():
    torch.manual_seed(0)
    model = MODELS.build(dict(
        type='ImageClassifier', backbone=dict(type='ResNet12', widths=(4, 8, 8, 16)),
        head=dict(type='CompositionalPartHead', in_channels=16, num_parts=8, num_maps=4, map_size=(2, 2),
                  num_ways=2, num_shots=1, num_queries=2)))
    images = torch.randn(6, 3, 32, 32, generator=torch.Generator().manual_seed(1))
    samples = [DataSample().set_gt_label(c) for c in (3, 9, 3, 3, 9, 9)]
    losses = model(images, samples, mode='loss')
    sum(v for k, v in losses.items() if 'loss' in k).backward()
    for name in ('backbone.stages.0.residual.0.weight', 'head.parts', 'head.maps', 'head.attention.weight',
                 'head.temperature'):
        assert dict(model.named_parameters())[name].grad.abs().sum() > 0, name
    with torch.no_grad():
        feats = model.head.pre_logits(model.extract_feat(images))
    assert feats.shape == (6, 8 * 4 + 16)
    assert model.head.episode_logits(feats[:2], torch.tensor([0, 1]), feats[2:], 2).shape == (4, 2)
