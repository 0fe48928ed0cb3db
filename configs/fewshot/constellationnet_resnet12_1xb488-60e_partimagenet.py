# ConstellationNet (Xu et al., ICLR 2021) on PartImageNet with the official recipe (mlpc-ucsd/ConstellationNet,
# configs/mini/res12-ybranch-mini.yaml, scripts/train.sh and eval.sh):
# - backbone: the Y-branched "param-reduced" ResNet-12 (64-128-256-290, 8.3M parameters) with cell-feature
#   clustering (64 clusters, beta 100, EMA centres) in block 0's first conv and in block 2's three convs of branch 1,
#   8-head self-attention over the cluster maps of block 2, merged into the conv outputs by 1x1 convs;
# - each step: 128 images of the 109 training classes through branch 1 (linear classifier + one auxiliary linear
#   classifier per attention module) and 8 episodes of 5-way 3-shot 6-query through branch 2 (prototypical loss
#   on squared distances x a learnable temperature / 1600); batch = 128 + 8 x 5 x (3 + 6) = 488 images;
# - SGD lr 0.1 (nesterov, momentum 0.9, wd 5e-4), x0.06 at epoch 20, x0.012 at 40, x0.0024 at 50, 60 epochs of 1,000
#   steps; Lee et al.'s augmentation (random crop with 8 px padding, colour jitter 0.4, flip);
# - evaluation: cosine to the class centroids of both branches' pooled and flattened last maps, weighted 4, 3, 2, 1.
# The official code validates by the few-shot accuracy of branch 2; here MetaValLoop scores the test ensemble.
_base_ = ['../_base_/datasets/partimagenet_fewshot.py', '../_base_/default_runtime.py']

num_images, num_ways, num_shots, num_queries, num_tasks = 128, 5, 3, 6, 8

model = dict(
    type='ConstellationNetClassifier',
    backbone=dict(type='ConstellationResNet12', widths=(64, 128, 256, 290),
                  clustering=((True, False, False), (False, False, False), (True, True, True), (False, False, False)),
                  attention=((False, False, False), (False, False, False), (True, True, True), (False, False, False)),
                  num_clusters=64, inverse_temperature=100.0, num_heads=8, dropout=0.1, branch_stage=2),
    num_classes={{_base_.num_train_classes}},
    in_channels=290,
    num_images=num_images, num_ways=num_ways, num_shots=num_shots, num_queries=num_queries, num_tasks=num_tasks,
    aux_indices=(1, 2, 3), aux_channels=64, meta_temperature=1.0, meta_distance_scale=1 / 1600,
    head=dict(type='MultiFeatureCosineHead', in_channels=(290, 290),
              features=((0, 'pooled'), (0, 'map'), (1, 'pooled'), (1, 'map')), weights=(4.0, 3.0, 2.0, 1.0)),
)

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=({{_base_.image_size}}, {{_base_.image_size}}), backend='pillow',
         interpolation='bicubic'),
    dict(type='RandomCrop', crop_size={{_base_.image_size}}, padding=8),
    dict(type='ColorJitter', brightness=0.4, contrast=0.4, saturation=0.4),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackPartInputs'),
]
# classification images first, then num_tasks episodes (ClassificationEpisodeSampler's layout, checked by the model)
train_dataloader = dict(
    batch_size=num_images + num_tasks * num_ways * (num_shots + num_queries),
    dataset=dict(pipeline=train_pipeline),
    sampler=dict(_delete_=True, type='ClassificationEpisodeSampler', num_images=num_images, num_tasks=num_tasks,
                 num_iterations=1000, num_ways=num_ways, num_shots=num_shots, num_queries=num_queries))

optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=5e-4, nesterov=True))
# the official LambdaLR: 1 (< 20), 0.06 (< 40), 0.012 (< 50), 0.0024 -- two chained step schedules
param_scheduler = [
    dict(type='MultiStepLR', by_epoch=True, milestones=[20], gamma=0.06),
    dict(type='MultiStepLR', by_epoch=True, milestones=[40, 50], gamma=0.2),
]
train_cfg = dict(by_epoch=True, max_epochs=60, val_interval=5)

default_hooks = dict(checkpoint=dict(interval=5, max_keep_ckpts=2, save_best='fewshot/5way-1shot_accuracy',
                                     rule='greater'))
randomness = dict(seed=0)
