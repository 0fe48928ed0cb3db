"""ConstellationNet: the clustering against a hand-computed soft k-means step, the constellation module against the
official code's forward restated on the same weights, the Y-branched backbone, the test ensemble head, the joint
sampler and one training step."""
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mmpretrain.structures import DataSample

from mmpart.datasets.samplers import ClassificationEpisodeSampler, EpisodicSampler
from mmpart.models.backbones import ConstellationResNet12
from mmpart.models.backbones.constellation_modules import CellFeatureClustering, ConstellationConv
from mmpart.models.heads import MultiFeatureCosineHead
from mmpart.registry import MODELS
from mmpart.utils import register_all_modules

register_all_modules()


def test_clustering_output_and_one_soft_kmeans_step_by_hand():
    module = CellFeatureClustering(channels=2, num_clusters=2, inverse_temperature=2.0, initial_count=1.0)
    module.centres.copy_(torch.tensor([[1., 0.], [0., 2.]]))  # a raw (unnormalised) running centre is allowed
    # one image, 1 x 2 cells: (3, 4) and (0, -1) -> unit (0.6, 0.8) and (0, -1)
    x = torch.tensor([[3., 0.], [4., -1.]]).view(1, 2, 1, 2)
    similarity = module.train()(x)
    u = np.array([[0.6, 0.8], [0., -1.]])
    v = np.array([[1., 0.], [0., 1.]])  # centres normalised for the similarity
    cos = u @ v.T  # [[0.6, 0.8], [0, -1]]
    np.testing.assert_allclose(similarity[0, :, 0, :].t().detach().numpy(), cos, atol=1e-6)
    assert similarity.shape == (1, 2, 1, 2)
    # soft assignments at beta = 2, batch centres, counts and the running update of the *raw* centres
    m = np.exp(2 * cos) / np.exp(2 * cos).sum(1, keepdims=True)
    mass = m.sum(0)
    batch = m.T @ u / mass[:, None]
    counts = 1 + mass
    alpha = mass / counts
    expected = (1 - alpha[:, None]) * np.array([[1., 0.], [0., 2.]]) + alpha[:, None] * batch
    np.testing.assert_allclose(module.counts.numpy(), counts, rtol=1e-6)
    np.testing.assert_allclose(module.centres.numpy(), expected, rtol=1e-5, atol=1e-6)
    # evaluation leaves the centres alone
    before = module.centres.clone()
    module.eval()(x)
    assert torch.equal(module.centres, before)


def test_clustering_does_not_backpropagate_into_the_centres_and_checks_channels():
    module = CellFeatureClustering(channels=3, num_clusters=4)
    x = torch.randn(2, 3, 2, 2, requires_grad=True)
    module.train()(x).sum().backward()
    assert x.grad is not None and not module.centres.requires_grad
    with pytest.raises(ValueError, match='expected 3 channels, got 5'):
        module(torch.zeros(1, 5, 2, 2))


def test_initial_centres_are_the_official_fixed_draws():
    module = CellFeatureClustering(channels=4, num_clusters=3)
    draws = np.random.RandomState(1).randn(3, 4)
    np.testing.assert_allclose(module.centres.numpy(), draws / np.linalg.norm(draws, axis=1, keepdims=True),
                               rtol=1e-6)


# --- the official MergeBlock forward (mlpc-ucsd/ConstellationNet), restated op by op ----------------------------

def official_sine_positions(b, h, w, num_pos_feats, temperature=10000):
    """models/positional_encoding.py PositionEmbeddingSine (normalize=False, amp=1): N H W C."""
    ones = torch.ones(b, h, w)
    y_embed, x_embed = ones.cumsum(1), ones.cumsum(2)
    dim_t = torch.arange(num_pos_feats, dtype=torch.float32)
    dim_t = temperature**(2 * (dim_t // 2) / num_pos_feats)
    pos_x, pos_y = x_embed[..., None] / dim_t, y_embed[..., None] / dim_t
    pos_x = torch.stack((pos_x[..., 0::2].sin(), pos_x[..., 1::2].cos()), dim=4).flatten(3)
    pos_y = torch.stack((pos_y[..., 0::2].sin(), pos_y[..., 1::2].cos()), dim=4).flatten(3)
    return torch.cat((pos_y, pos_x), dim=3)


def official_merge_block(x, weights, num_heads):
    """MergeBlock.forward with feature clustering and self-attention, evaluation mode (no dropout)."""
    out_conv = F.conv2d(x, weights['conv'], padding=1)
    b, c, h, w = out_conv.shape
    u = F.normalize(out_conv.permute(0, 2, 3, 1).reshape(b * h * w, -1), dim=-1)
    uv_dist = u.mm(F.normalize(weights['V'], dim=-1).t())  # FeatureClusteringMinibatch.compute_dist
    sideout = uv_dist.view(b, h, w, -1)  # the transformer's input, B H W C
    e = sideout.shape[-1]
    pos = official_sine_positions(b, h, w, e // 2)
    q = k = (sideout + pos).view(b, -1, e)
    v = sideout.view(b, -1, e)

    def heads(t, name):
        return F.linear(t, weights[f'{name}.w'], weights[f'{name}.b']).view(b, -1, num_heads, e // num_heads)\
            .transpose(1, 2)
    qh, kh, vh = heads(q, 'q'), heads(k, 'k'), heads(v, 'v')  # MHAtt
    scores = qh @ kh.transpose(-2, -1) / math.sqrt(qh.size(-1))
    atted = (F.softmax(scores, dim=-1) @ vh).transpose(1, 2).reshape(b, -1, e)
    atted = F.linear(atted, weights['merge.w'], weights['merge.b'])
    y = F.layer_norm(v + atted, (e, ), weights['norm1.w'], weights['norm1.b'])  # SA.forward_post
    y2 = F.linear(F.relu(F.linear(y, weights['lin1.w'], weights['lin1.b'])), weights['lin2.w'], weights['lin2.b'])
    y = F.layer_norm(y + y2, (e, ), weights['norm2.w'], weights['norm2.b']).view(b, h, w, -1)
    feature_sideout = y.permute(0, 3, 1, 2)
    return F.conv2d(torch.cat([out_conv, feature_sideout], dim=1), weights['merge_conv'])


def randomise(module: torch.nn.Module, seed: int) -> None:
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(torch.randn(p.shape, generator=gen) * 0.5)


def test_constellation_conv_reproduces_the_official_merge_block_forward():
    module = ConstellationConv(3, 6, clustering=True, attention=True, num_clusters=8, num_heads=2).eval()
    randomise(module, 0)
    attn, ffn, norms = (module.attention.layer.self_attn.attn, module.attention.layer.ffn,
                        module.attention.layer.norms)
    e = 8
    weights = {
        'conv': module.conv.weight, 'V': module.clustering.centres, 'merge_conv': module.merge.weight,
        'q.w': attn.in_proj_weight[:e], 'k.w': attn.in_proj_weight[e:2 * e], 'v.w': attn.in_proj_weight[2 * e:],
        'q.b': attn.in_proj_bias[:e], 'k.b': attn.in_proj_bias[e:2 * e], 'v.b': attn.in_proj_bias[2 * e:],
        'merge.w': attn.out_proj.weight, 'merge.b': attn.out_proj.bias,
        'lin1.w': ffn.layers[0][0].weight, 'lin1.b': ffn.layers[0][0].bias,
        'lin2.w': ffn.layers[1].weight, 'lin2.b': ffn.layers[1].bias,
        'norm1.w': norms[0].weight, 'norm1.b': norms[0].bias, 'norm2.w': norms[1].weight, 'norm2.b': norms[1].bias}
    x = torch.randn(2, 3, 4, 5, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        torch.testing.assert_close(module(x), official_merge_block(x, weights, num_heads=2), rtol=1e-4, atol=1e-5)


def test_constellation_conv_without_clustering_is_the_plain_conv_and_records_its_map():
    plain = ConstellationConv(3, 4, clustering=False, attention=False)
    assert plain.merge is None and plain.clustering is None
    x = torch.randn(1, 3, 5, 5)
    torch.testing.assert_close(plain(x), F.conv2d(x, plain.conv.weight, padding=1))
    with pytest.raises(ValueError, match='needs clustering=True'):
        ConstellationConv(3, 4, clustering=False, attention=True)
    maps = []
    ConstellationConv(3, 4, attention=False, num_clusters=6)(x, maps)
    assert [m.shape for m in maps] == [(1, 6, 5, 5)]


# --- backbone -----------------------------------------------------------------------------------------------------

def test_official_configuration_shapes_and_size():
    model = ConstellationResNet12().eval()
    with torch.no_grad():
        (out1, out2), maps = model.forward_with_cluster_features(torch.zeros(2, 3, 84, 84))
    assert out1.shape == out2.shape == (2, 290, 5, 5)
    # block 0's clustering-only module at 84 px (before its pooling), then block 2's three attention modules at 21
    assert [tuple(m.shape) for m in maps] == [(2, 64, 84, 84)] + [(2, 64, 21, 21)] * 3
    # the official README: 8.4M parameters with the classifiers (290 x 64 + 3 x 64 x 64 ≈ 31k of them)
    assert sum(p.numel() for p in model.parameters()) == pytest.approx(8.32e6, rel=0.01)
    assert all(isinstance(m.convs[i].attention, type(None)) for m in model.branch2 for i in range(3))


def test_single_branch_runs_one_branch_and_branches_can_run_alone():
    model = ConstellationResNet12(widths=(4, 8, 8, 8), num_clusters=4, num_heads=2, branch_stage=None).eval()
    assert model.branch2 is None and len(model.stem) == 4 and len(model.branch1) == 0
    outs = model(torch.zeros(1, 3, 32, 32))
    assert len(outs) == 1 and outs[0].shape == (1, 8, 2, 2)
    with pytest.raises(ValueError, match='no branch 2'):
        model.forward_with_cluster_features(torch.zeros(1, 3, 32, 32), branch=2)
    y = ConstellationResNet12(widths=(4, 8, 8, 8), num_clusters=4, num_heads=2).eval()
    x = torch.randn(1, 3, 32, 32)
    with torch.no_grad():
        both = y(x)
        torch.testing.assert_close(y.forward_with_cluster_features(x, branch=1)[0][0], both[0])
        torch.testing.assert_close(y.forward_with_cluster_features(x, branch=2)[0][0], both[1])
    with pytest.raises(ValueError, match='branch_stage must be'):
        ConstellationResNet12(branch_stage=0)
    with pytest.raises(ValueError, match='has 4 blocks'):
        ConstellationResNet12(widths=(4, 8, 8))


# --- evaluation head ----------------------------------------------------------------------------------------------

def test_multi_feature_cosine_head_by_hand():
    head = MultiFeatureCosineHead(in_channels=(2, ), features=((0, 'pooled'), (0, 'map')), weights=(2.0, 1.0))
    maps = torch.tensor([[[[1., 1.]], [[0., 0.]]],   # image 0: channel 0 = 1, channel 1 = 0 (1 x 2 map)
                         [[[0., 0.]], [[1., 3.]]],   # image 1
                         [[[2., 0.]], [[0., 2.]]]])  # image 2 (query)
    flat = head.pre_logits((maps, ))
    assert flat.shape == (3, 2 + 4)
    pooled, cells = head.split(flat)
    torch.testing.assert_close(pooled, torch.tensor([[1., 0.], [0., 2.], [1., 1.]]))
    logits = head.episode_logits(flat[:2], torch.tensor([0, 1]), flat[2:], 2)
    # pooled cosines: (1,1)·(1,0) = 1/√2, (1,1)·(0,1) = 1/√2; maps: (2,0,0,2)·(1,1,0,0) = 2/(√8·√2) = 1/2,
    # (2,0,0,2)·(0,0,1,3) = 6/(√8·√10)
    expected = torch.tensor([[2 / math.sqrt(2) + 0.5, 2 / math.sqrt(2) + 6 / math.sqrt(80)]])
    torch.testing.assert_close(logits, expected)


def test_multi_feature_cosine_head_defaults_are_the_official_ensemble_and_it_checks_sizes():
    head = MultiFeatureCosineHead(in_channels=(3, 3))
    assert head.features == [(0, 'pooled'), (0, 'map'), (1, 'pooled'), (1, 'map')] and head.weights == (4, 3, 2, 1)
    flat = head.pre_logits((torch.randn(4, 3, 2, 2), torch.randn(4, 3, 2, 2)))
    assert [p.shape[1] for p in head.split(flat)] == [3, 12, 3, 12]
    with pytest.raises(ValueError, match='do not split'):
        head.split(torch.zeros(1, 31))
    with pytest.raises(ValueError, match='2 backbone outputs'):
        MultiFeatureCosineHead(in_channels=(3, ), features=((0, 'map'), ), weights=(1.0, )).pre_logits(
            (torch.zeros(1, 3, 2, 2), ) * 2)
    with pytest.raises(ValueError, match='features for'):
        MultiFeatureCosineHead(in_channels=(3, 3), weights=(1.0, ))
    with pytest.raises(ValueError, match='is not'):
        MultiFeatureCosineHead(in_channels=(3, ), features=((1, 'map'), ), weights=(1.0, ))


# --- sampler ------------------------------------------------------------------------------------------------------

LABELS = np.repeat(np.arange(6), 5)  # 6 classes x 5 images


def test_joint_sampler_lays_out_classification_images_then_episodes():
    sampler = ClassificationEpisodeSampler(labels=LABELS, num_images=7, num_tasks=2, num_iterations=5, num_ways=3,
                                           num_shots=1, num_queries=2, seed=0)
    assert sampler.batch_size == 7 + 2 * 9 and len(sampler) == 5 * 25
    indices = list(sampler)
    episodes = EpisodicSampler(labels=LABELS, num_ways=3, num_shots=1, num_queries=2, num_episodes=10, seed=0)
    classification = []
    for it in range(5):
        batch = indices[it * 25:(it + 1) * 25]
        classification += batch[:7]
        assert batch[7:16] == episodes.episode_indices(2 * it) and batch[16:] == episodes.episode_indices(2 * it + 1)
    # 35 classification images walk through one permutation of the 30 images, then wrap around
    assert sorted(classification[:30]) == list(range(30)) and classification[30:] == classification[:5]


def test_joint_sampler_changes_with_the_epoch_and_errors():
    sampler = ClassificationEpisodeSampler(labels=LABELS, num_images=4, num_tasks=1, num_iterations=2, num_ways=2,
                                           num_shots=1, num_queries=1, seed=0)
    first = list(sampler)
    sampler.set_epoch(1)
    assert list(sampler) != first
    with pytest.raises(ValueError, match='need num_images, num_tasks, num_iterations >= 1'):
        ClassificationEpisodeSampler(labels=LABELS, num_images=0)


# --- the classifier -----------------------------------------------------------------------------------------------

def tiny_classifier():
    torch.manual_seed(0)
    return MODELS.build(dict(
        type='ConstellationNetClassifier',
        backbone=dict(type='ConstellationResNet12', widths=(8, 8, 16, 16), num_clusters=8, num_heads=2),
        num_classes=6, in_channels=16, aux_channels=8, num_images=4, num_ways=3, num_shots=1, num_queries=2,
        num_tasks=2))


def joint_batch():
    labels = [0, 1, 2, 3] + [0, 1, 2, 0, 0, 1, 1, 2, 2] + [3, 4, 5, 3, 3, 4, 4, 5, 5]
    return torch.randn(len(labels), 3, 32, 32, generator=torch.Generator().manual_seed(2)), \
        [DataSample().set_gt_label(c) for c in labels]


def test_training_step_trains_both_branches_and_the_auxiliary_classifiers():
    model = tiny_classifier().train()
    images, samples = joint_batch()
    losses = model(images, samples, mode='loss')
    assert {'loss_cls', 'loss_aux', 'loss_meta', 'accuracy', 'meta_accuracy'} == set(losses)
    sum(v for k, v in losses.items() if k.startswith('loss')).backward()
    attention_ffn = 'backbone.branch1.0.convs.0.attention.layer.ffn.layers.1.weight'
    for name in ('backbone.stem.0.convs.0.conv.weight', attention_ffn, 'backbone.branch2.1.convs.2.conv.weight',
                 'classifier.weight', 'aux_classifiers.2.weight', 'meta_temperature'):
        assert dict(model.named_parameters())[name].grad.abs().sum() > 0, name


def test_meta_loss_is_the_scaled_prototypical_loss():
    model = tiny_classifier()
    support, query = torch.tensor([[0., 0.], [2., 0.], [0., 4.]]), torch.tensor([[1., 0.], [0., 3.]])
    logits = model.meta_logits(support, torch.tensor([0, 1, 2]), query)
    distances = torch.tensor([[1., 1., 17.], [9., 13., 1.]])
    torch.testing.assert_close(logits, -distances / 1600)


def test_the_batch_must_be_the_joint_layout():
    images, samples = joint_batch()
    with pytest.raises(ValueError, match='the batch has 21 images, 4 classification images and 2 3-way 1-shot '
                       '2-query episodes have 22'):
        tiny_classifier()(images[:21], samples[:21], mode='loss')


def test_extract_feat_feeds_the_official_ensemble():
    model = tiny_classifier().eval()
    images, _ = joint_batch()
    with torch.no_grad():
        feats = model.extract_feat(images[:3])
    assert [f.shape for f in feats] == [(3, 16, 2, 2)] * 2
    assert model.head.pre_logits(feats).shape == (3, 16 + 64 + 16 + 64)


def test_the_config_reproduces_the_official_learning_rate_schedule():
    """The official LambdaLR: x1 before epoch 20, x0.06 before 40, x0.012 before 50, then x0.0024."""
    from mmengine.config import Config
    from mmengine.optim.scheduler import MultiStepLR

    cfg = Config.fromfile('configs/fewshot/constellationnet_resnet12_1xb488-60e_partimagenet.py')
    param = torch.nn.Parameter(torch.zeros(1))
    optimizer = torch.optim.SGD([param], lr=cfg.optim_wrapper.optimizer.lr)
    schedulers = [MultiStepLR(optimizer, **{k: v for k, v in s.items() if k != 'type'}) for s in cfg.param_scheduler]
    lrs = []
    for _ in range(cfg.train_cfg.max_epochs):
        lrs.append(optimizer.param_groups[0]['lr'])
        optimizer.step()
        for scheduler in schedulers:
            scheduler.step()
    official = [0.1 * (1.0 if e < 20 else 0.06 if e < 40 else 0.012 if e < 50 else 0.0024) for e in range(60)]
    assert lrs == pytest.approx(official)
