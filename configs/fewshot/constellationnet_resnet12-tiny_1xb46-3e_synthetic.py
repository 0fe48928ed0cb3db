# constellationnet_resnet12_1xb488-60e_partimagenet.py scaled down for the synthetic PartImageNet split (tests,
# `make demo-benchmarks`): a narrow Y-branched constellation ResNet-12 (8-16-32-32, 8 clusters, 2 heads) on 48 px
# images of the 12 train classes; each step 16 classification images and 2 episodes of 5-way 1-shot 2-query; 3
# epochs of 15 steps; meta-tested on 300 5-way 1-/5-shot episodes of the 5 test classes (15 queries).
#   python tools/dataset_converters/make_synthetic_partimagenet.py data/synthetic_partimagenet --image-size 48 \
#       --images-per-class 24
_base_ = './constellationnet_resnet12_1xb488-60e_partimagenet.py'

data_root = 'data/synthetic_partimagenet/'
image_size = 48
num_images, num_ways, num_shots, num_queries, num_tasks = 16, 5, 1, 2, 2
widths = (8, 16, 32, 32)

data_preprocessor = dict(num_classes=12)
# meta_distance_scale: the official 1/1600 is Conv-4's feature size; these pooled features have 32 channels
model = dict(backbone=dict(widths=widths, num_clusters=8, num_heads=2), num_classes=12, in_channels=widths[-1],
             meta_distance_scale=1 / widths[-1],
             num_images=num_images, num_shots=num_shots, num_queries=num_queries, num_tasks=num_tasks, aux_channels=8,
             head=dict(in_channels=(widths[-1], widths[-1])))

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(image_size, image_size), backend='pillow', interpolation='bicubic'),
    dict(type='RandomCrop', crop_size=image_size, padding=4),
    dict(type='ColorJitter', brightness=0.4, contrast=0.4, saturation=0.4),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackPartInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(image_size, image_size), backend='pillow', interpolation='bicubic'),
    dict(type='PackPartInputs'),
]
train_dataloader = dict(
    batch_size=num_images + num_tasks * num_ways * (num_shots + num_queries), num_workers=2,
    dataset=dict(data_root=data_root, pipeline=train_pipeline),
    sampler=dict(num_images=num_images, num_tasks=num_tasks, num_iterations=15, num_shots=num_shots,
                 num_queries=num_queries))
val_dataloader = dict(batch_size=64, num_workers=2, dataset=dict(data_root=data_root, pipeline=test_pipeline))
test_dataloader = dict(batch_size=64, num_workers=2, dataset=dict(data_root=data_root, pipeline=test_pipeline))

optim_wrapper = dict(optimizer=dict(lr=0.05))
param_scheduler = [dict(type='MultiStepLR', by_epoch=True, milestones=[2], gamma=0.1)]
train_cfg = dict(max_epochs=3, val_interval=3)
val_cfg = dict(num_episodes=50)
test_cfg = dict(num_episodes=300)
default_hooks = dict(logger=dict(interval=5), checkpoint=dict(interval=3))
