"""MAML: the inner loop against closed forms on a linear model, second- vs first-order meta-gradients, the head's
episode layout, transductive batch norm and one training/evaluation episode end to end."""
import numpy as np
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmpretrain.structures import DataSample

from mmpart.models.heads import MAMLHead
from mmpart.models.utils import fast_adapt
from mmpart.registry import MODELS
from mmpart.utils import register_all_modules

register_all_modules()


def linear_model(weight: torch.Tensor) -> nn.Linear:
    model = nn.Linear(weight.shape[1], weight.shape[0], bias=False)
    model.weight.data.copy_(weight)
    return model


def softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(1, keepdims=True))
    return e / e.sum(1, keepdims=True)


def test_one_inner_step_on_a_linear_model_equals_the_closed_form():
    gen = torch.Generator().manual_seed(0)
    w, x, y = torch.randn(3, 4, generator=gen), torch.randn(6, 4, generator=gen), torch.tensor([0, 1, 2, 0, 1, 2])
    model = linear_model(w)
    adapted = fast_adapt(model, dict(model.named_parameters()), x, y, F.cross_entropy, 1, 0.5, create_graph=False)
    # mean cross-entropy of softmax(x W^T): gradient (softmax - onehot)^T x / n
    p = softmax(x.numpy() @ w.numpy().T)
    grad = (p - np.eye(3)[y.numpy()]).T @ x.numpy() / 6
    np.testing.assert_allclose(adapted['weight'].detach().numpy(), w.numpy() - 0.5 * grad, rtol=1e-5, atol=1e-6)
    assert torch.equal(model.weight, w)  # the module's own weight is untouched


def test_two_inner_steps_apply_the_closed_form_twice():
    gen = torch.Generator().manual_seed(1)
    w, x, y = torch.randn(2, 3, generator=gen), torch.randn(4, 3, generator=gen), torch.tensor([0, 1, 1, 0])
    model = linear_model(w)
    adapted = fast_adapt(model, dict(model.named_parameters()), x, y, F.cross_entropy, 2, 0.3, create_graph=True)
    expected = w.numpy().astype(np.float64)
    for _ in range(2):
        p = softmax(x.numpy() @ expected.T)
        expected = expected - 0.3 * (p - np.eye(2)[y.numpy()]).T @ x.numpy() / 4
    np.testing.assert_allclose(adapted['weight'].detach().numpy(), expected, rtol=1e-5, atol=1e-6)
    assert fast_adapt(model, dict(model.named_parameters()), x, y, F.cross_entropy, 0, 0.3, True)['weight'] is \
        model.weight
    with pytest.raises(ValueError, match='num_steps must be >= 0'):
        fast_adapt(model, dict(model.named_parameters()), x, y, F.cross_entropy, -1, 0.3, True)


def meta_gradient(w, support, query, first_order: bool, lr: float = 0.5) -> torch.Tensor:
    """d query-loss(adapted W) / d W after one inner step on the support set."""
    model = linear_model(w)
    (xs, ys), (xq, yq) = support, query
    adapted = fast_adapt(model, dict(model.named_parameters()), xs, ys, F.cross_entropy, 1, lr,
                         create_graph=not first_order)
    loss = F.cross_entropy(xq @ adapted['weight'].t(), yq)
    return torch.autograd.grad(loss, model.weight)[0]


def hand_second_order(w, support, query, lr: float = 0.5) -> torch.Tensor:
    """(I - lr H_support(W))^T grad_query(W'), with the Hessian from autograd.functional."""
    (xs, ys), (xq, yq) = support, query
    support_loss = lambda v: F.cross_entropy(xs @ v.view_as(w).t(), ys)  # noqa: E731
    grad_support = torch.autograd.functional.jacobian(support_loss, w.flatten())
    adapted = w.flatten() - lr * grad_support
    grad_query = torch.autograd.functional.jacobian(lambda v: F.cross_entropy(xq @ v.view_as(w).t(), yq), adapted)
    hessian = torch.autograd.functional.hessian(support_loss, w.flatten())
    return ((torch.eye(w.numel()) - lr * hessian).t() @ grad_query).view_as(w)


def test_second_order_gradient_has_the_hessian_term_first_order_drops():
    gen = torch.Generator().manual_seed(2)
    w = torch.randn(3, 4, generator=gen)
    support = torch.randn(6, 4, generator=gen), torch.tensor([0, 1, 2, 0, 1, 2])
    query = torch.randn(6, 4, generator=gen), torch.tensor([2, 1, 0, 2, 1, 0])
    second, first = meta_gradient(w, support, query, False), meta_gradient(w, support, query, True)
    torch.testing.assert_close(second, hand_second_order(w, support, query), rtol=1e-4, atol=1e-6)
    assert (second - first).abs().max() > 1e-3


def test_second_order_equals_first_order_when_the_hessian_term_vanishes():
    # the support Hessian of a linear model acts on the input space spanned by the support inputs; a query
    # gradient whose inputs are orthogonal to them is left alone: (I - lr H)^T g = g
    gen = torch.Generator().manual_seed(3)
    w = torch.randn(3, 4, generator=gen)
    support = torch.cat([torch.randn(5, 2, generator=gen), torch.zeros(5, 2)], 1), torch.tensor([0, 1, 2, 0, 1])
    query = torch.cat([torch.zeros(4, 2), torch.randn(4, 2, generator=gen)], 1), torch.tensor([2, 2, 1, 0])
    second, first = meta_gradient(w, support, query, False), meta_gradient(w, support, query, True)
    torch.testing.assert_close(second, first, rtol=1e-5, atol=1e-7)
    assert first.abs().max() > 1e-3


def test_first_order_meta_gradient_is_the_query_gradient_at_the_adapted_weights():
    gen = torch.Generator().manual_seed(4)
    w = torch.randn(3, 4, generator=gen)
    support = torch.randn(6, 4, generator=gen), torch.tensor([0, 1, 2, 0, 1, 2])
    query = torch.randn(3, 4, generator=gen), torch.tensor([1, 0, 2])
    leaf = w.clone().requires_grad_()
    adapted = (w - 0.5 * torch.autograd.grad(F.cross_entropy(support[0] @ leaf.t(), support[1]), leaf)[0])
    adapted.requires_grad_()  # a fresh leaf at the adapted weights
    expected = torch.autograd.grad(F.cross_entropy(query[0] @ adapted.t(), query[1]), adapted)[0]
    torch.testing.assert_close(meta_gradient(w, support, query, True), expected)


# --- the head -------------------------------------------------------------------------------------------------

def tiny_head(**kwargs) -> MAMLHead:
    torch.manual_seed(0)
    cfg = dict(backbone=dict(type='Conv4', channels=(4, 4, 4, 4), norm_cfg=dict(type='BN', track_running_stats=False)),
               in_channels=4, num_ways=3, num_shots=1, num_queries=2, num_tasks=2, num_inner_steps=2,
               num_test_inner_steps=3, inner_lr=0.1)
    cfg.update(kwargs)
    return MAMLHead(**cfg)


def episodes(num_tasks: int, ways: int = 3, shots: int = 1, queries: int = 2, size: int = 16):
    labels = []
    for task in range(num_tasks):
        classes = [10 * task + w for w in range(ways)]
        labels += [c for c in classes for _ in range(shots)] + [c for c in classes for _ in range(queries)]
    gen = torch.Generator().manual_seed(5)
    return torch.randn(len(labels), 3, size, size, generator=gen), [DataSample().set_gt_label(c) for c in labels]


def test_head_adapts_conv_and_linear_weights_not_norms_unless_asked():
    head = tiny_head()
    assert head.adapted_names() == [f'backbone.stages.{i}.0.weight' for i in range(4)] + ['fc.weight', 'fc.bias']
    assert sum('stages.0.1' in n for n in tiny_head(adapt_norm=True).adapted_names()) == 2  # BN weight and bias


def test_batch_norm_is_transductive():
    bn = tiny_head().learner.backbone.stages[0][1]
    assert bn.running_mean is None and not bn.track_running_stats  # batch statistics in train and eval


def test_inner_loss_per_shot_is_the_sum_over_the_shots():
    logits, labels = torch.randn(6, 3), torch.tensor([0, 0, 1, 1, 2, 2])
    per_shot = tiny_head().inner_loss(logits, labels)
    torch.testing.assert_close(per_shot, F.cross_entropy(logits, labels, reduction='sum') / 2)
    torch.testing.assert_close(per_shot, 3 * F.cross_entropy(logits, labels))  # num_ways x the mean
    torch.testing.assert_close(tiny_head(inner_loss_reduction='mean').inner_loss(logits, labels),
                               F.cross_entropy(logits, labels))
    with pytest.raises(ValueError, match='inner_loss_reduction must be one of'):
        tiny_head(inner_loss_reduction='sum')


def test_training_step_on_a_meta_batch_of_two_tasks_reaches_every_parameter():
    head = tiny_head()
    images, samples = episodes(2)
    losses = head.loss(images, samples)
    assert losses['loss'].shape == () and 0 <= float(losses['accuracy']) <= 100
    losses['loss'].backward()
    for name, param in head.learner.named_parameters():
        assert param.grad is not None and param.grad.abs().sum() > 0, name  # BN offsets too (second order)


def test_training_loss_is_the_mean_of_the_tasks_losses():
    head = tiny_head(num_tasks=1)
    images, samples = episodes(2)
    per_task = [head.loss(images[i * 9:(i + 1) * 9], samples[i * 9:(i + 1) * 9])['loss'] for i in range(2)]
    torch.testing.assert_close(tiny_head(num_tasks=2).loss(images, samples)['loss'], torch.stack(per_task).mean())


def test_first_order_training_leaves_no_second_order_path_to_the_norms():
    head = tiny_head(first_order=True, num_inner_steps=1)
    images, samples = episodes(2)
    head.loss(images, samples)['loss'].backward()
    assert all(p.grad is not None for p in head.learner.parameters())


def test_the_batch_must_be_the_configured_meta_batch():
    images, samples = episodes(1)
    with pytest.raises(ValueError, match='the batch has 9 images, 2 tasks of 3-way 1-shot 2-query episodes have 18'):
        tiny_head().loss(images, samples)


def test_evaluation_adapts_a_copy_and_matches_a_hand_run_inner_loop():
    head = tiny_head().eval()
    images, samples = episodes(1, shots=2)
    support, query = images[:6], images[6:]
    way_ids = torch.tensor([0, 0, 1, 1, 2, 2])
    before = {k: v.clone() for k, v in head.state_dict().items()}
    with torch.no_grad():  # the meta-test loop runs episodes under no_grad
        logits = head.episode_logits(head.pre_logits(support), way_ids, head.pre_logits(query), 3)
    assert logits.shape == (6, 3) and not logits.requires_grad
    assert all(torch.equal(before[k], v) for k, v in head.state_dict().items())
    # the same 3 SGD steps by hand on a copy of the network
    learner = head.learner
    params = {n: p.detach().clone().requires_grad_() for n, p in learner.named_parameters()}
    for _ in range(3):
        loss = F.cross_entropy(torch.func.functional_call(learner, params, (support, )), way_ids,
                               reduction='sum') / 2
        grads = dict(zip(params, torch.autograd.grad(loss, list(params.values()))))
        params = {n: (p - 0.1 * grads[n] if n in head.adapted_names() else p).detach().requires_grad_()
                  for n, p in params.items()}
    with torch.no_grad():
        expected = torch.func.functional_call(learner, params, (query, ))
    torch.testing.assert_close(logits, expected, rtol=1e-4, atol=1e-5)


def test_flattened_images_must_be_square():
    head = tiny_head()
    with pytest.raises(ValueError, match='are not 3 square channels'):
        head.episode_logits(torch.zeros(3, 3 * 4 * 5), torch.arange(3), torch.zeros(2, 3 * 4 * 5), 3)
    with pytest.raises(ValueError, match='the classifier has 3 outputs, the episode 5 ways'):
        head.episode_logits(torch.zeros(5, 3 * 16 * 16), torch.arange(5), torch.zeros(2, 3 * 16 * 16), 5)


def test_image_episode_classifier_hands_the_images_to_the_head():
    model = MODELS.build(dict(type='ImageEpisodeClassifier', head=dict(
        type='MAMLHead', backbone=dict(type='Conv4', channels=(4, 4, 4, 4),
                                       norm_cfg=dict(type='BN', track_running_stats=False)),
        in_channels=4, num_ways=3, num_shots=1, num_queries=2, num_tasks=2, num_inner_steps=1)))
    images, samples = episodes(2)
    assert model.extract_feat(images) is images
    assert model(images).shape == (18, 3 * 16 * 16)
    losses = model(images, samples, mode='loss')
    assert set(losses) == {'loss', 'accuracy'}
    with pytest.raises(NotImplementedError, match='classifies episodes'):
        model(images, samples, mode='predict')
    with pytest.raises(RuntimeError, match='ImageEpisodeClassifier: invalid mode "feat"'):
        model(images, samples, mode='feat')


def cbfinn_forward(x, weights, bn_offsets):
    """cbfinn/maml ``forward_conv`` (max_pool=True): conv 3x3 'SAME' + TF batch_norm in training mode (batch
    statistics, offset only) + ReLU + 2x2 max-pool 'VALID', four times; flatten; ``w5 x + b5``."""
    for i in range(4):
        x = F.conv2d(x, weights[f'conv{i + 1}'], padding=1)
        x = F.batch_norm(x, None, None, None, bn_offsets[i], training=True, eps=1e-3)  # TF's default epsilon
        x = F.max_pool2d(F.relu(x), 2)
    return F.linear(x.flatten(1), weights['w5'], weights['b5'])


def test_one_adapted_episode_reproduces_cbfinn_maml():
    """``task_metalearn`` of cbfinn/maml restated: one gradient step of ``xent / update_batch_size`` on the support
    set w.r.t. the conv and fc weights (the batch-norm offsets are not fast weights), then the query logits."""
    head = tiny_head(num_test_inner_steps=1, inner_lr=0.1, backbone=dict(
        type='Conv4', channels=(4, 4, 4, 4), norm_cfg=dict(type='BN', track_running_stats=False, eps=1e-3)))
    gen = torch.Generator().manual_seed(7)
    for p in head.learner.parameters():
        p.data.copy_(torch.randn(p.shape, generator=gen) * 0.3)
    stages = head.learner.backbone.stages
    for stage in stages:  # TF's batch_norm learns no scale
        stage[1].weight.data.fill_(1.0)
        assert stage[1].eps == 1e-3
    weights = {f'conv{i + 1}': stages[i][0].weight for i in range(4)}
    weights.update(w5=head.learner.fc.weight, b5=head.learner.fc.bias)
    offsets = [stage[1].bias for stage in stages]
    support, query = torch.randn(6, 3, 16, 16, generator=gen), torch.randn(4, 3, 16, 16, generator=gen)
    labels = torch.tensor([0, 0, 1, 1, 2, 2])
    fast = {k: w.detach().clone().requires_grad_() for k, w in weights.items()}
    loss = F.cross_entropy(cbfinn_forward(support, fast, offsets), labels, reduction='sum') / 2  # / update_batch_size
    grads = dict(zip(fast, torch.autograd.grad(loss, list(fast.values()))))
    fast = {k: w - 0.1 * grads[k] for k, w in fast.items()}
    with torch.no_grad():
        expected = cbfinn_forward(query, fast, offsets)
        logits = head.episode_logits(head.pre_logits(support), labels, head.pre_logits(query), 3)
    torch.testing.assert_close(logits, expected, rtol=1e-4, atol=1e-5)
