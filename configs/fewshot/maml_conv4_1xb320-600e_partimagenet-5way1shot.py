# MAML (Finn et al. 2017) with Conv-4 on PartImageNet, cbfinn/maml's miniImageNet recipe for 5-way 1-shot:
# Conv-4 with 32 filters (a 32·5·5 = 800-d flattened map at 84 px) and a linear 5-way classifier, transductive
# batch norm (batch statistics in every forward, as TF's batch_norm in training mode), second-order MAML with 5
# inner SGD steps of lr 0.01 on the support set (the support loss summed / shots) in training and 10 at test,
# 15 queries per class, a meta-batch of 4 tasks (batch = 4 x 5 x (1 + 15) = 320 images), Adam lr 1e-3 with
# gradients clipped to ±10, 60,000 meta-iterations (600 epochs of 400 episodes), no data augmentation; Glorot-uniform
# convolution and linear weights, zero biases (TF's xavier initialisers). Batch norm with TF's epsilon 1e-3 keeps
# PyTorch's scale and offset (TF's batch_norm learns the offset only); the inner loop adapts the conv and linear
# weights.
_base_ = ['../_base_/datasets/partimagenet_fewshot.py', '../_base_/default_runtime.py']

num_ways, num_shots, num_queries, num_tasks = 5, 1, 15, 4

model = dict(
    type='ImageEpisodeClassifier',
    head=dict(
        type='MAMLHead',
        backbone=dict(type='Conv4', channels=(32, 32, 32, 32), out_indices=(3, ),
                      norm_cfg=dict(type='BN', track_running_stats=False, eps=1e-3)),
        in_channels=32 * 5 * 5,
        num_ways=num_ways, num_shots=num_shots, num_queries=num_queries, num_tasks=num_tasks,
        num_inner_steps=5, num_test_inner_steps=10, inner_lr=0.01, first_order=False,
        adapt_norm=False, inner_loss_reduction='per_shot',
        init_cfg=dict(type='Xavier', layer=['Conv2d', 'Linear'], distribution='uniform')),
)

# a batch is num_tasks consecutive episodes, each support first then queries (EpisodicSampler's layout)
train_dataloader = dict(
    batch_size=num_tasks * num_ways * (num_shots + num_queries),
    dataset=dict(pipeline={{_base_.test_pipeline}}),
    sampler=dict(_delete_=True, type='EpisodicSampler', num_ways=num_ways, num_shots=num_shots,
                 num_queries=num_queries, num_episodes=100 * num_tasks))

optim_wrapper = dict(optimizer=dict(type='Adam', lr=1e-3), clip_grad=dict(type='value', clip_value=10.0))
train_cfg = dict(by_epoch=True, max_epochs=600, val_interval=20)
# every evaluation episode runs 10 inner steps: validate and test the trained shot
val_cfg = dict(num_shots=(num_shots, ))
test_cfg = dict(num_shots=(num_shots, ))

default_hooks = dict(checkpoint=dict(interval=20, max_keep_ckpts=2, save_best=f'fewshot/5way-{num_shots}shot_accuracy',
                                     rule='greater'))
randomness = dict(seed=0)
