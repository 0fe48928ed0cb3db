# meta-baseline_resnet12_1xb100-20e_partimagenet-5way5shot.py scaled down for the synthetic PartImageNet split
# (`make demo-benchmarks`): the tiny stage-1 classifier (meta-baseline_resnet12-tiny_1xb32-8e_synthetic-pretrain.py,
# its checkpoint given as model.backbone.init_cfg.checkpoint) fine-tuned on 5-way 5-shot 5-query episodes of the 12
# train classes, 2 epochs of 20 episodes; meta-tested on 300 5-way 1-/5-shot episodes of the test classes.
_base_ = './meta-baseline_resnet12_1xb100-20e_partimagenet-5way5shot.py'

data_root = 'data/synthetic_partimagenet/'
image_size = 48
num_ways, num_shots, num_queries = 5, 5, 5
widths = (16, 32, 64, 128)

data_preprocessor = dict(num_classes=12)
model = dict(backbone=dict(widths=widths), head=dict(num_queries=num_queries))
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(image_size, image_size), backend='pillow', interpolation='bicubic'),
    dict(type='PackPartInputs'),
]
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='JointRandomResizedCrop', scale=image_size, crop_ratio_range=(0.35, 1.0), backend='pillow',
         interpolation='bicubic'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackPartInputs'),
]
train_dataloader = dict(batch_size=num_ways * (num_shots + num_queries), num_workers=2,
                        dataset=dict(data_root=data_root, pipeline=train_pipeline),
                        sampler=dict(num_queries=num_queries, num_episodes=20))
val_dataloader = dict(batch_size=64, num_workers=2, dataset=dict(data_root=data_root, pipeline=test_pipeline))
test_dataloader = dict(batch_size=64, num_workers=2, dataset=dict(data_root=data_root, pipeline=test_pipeline))

optim_wrapper = dict(optimizer=dict(lr=0.01))
train_cfg = dict(max_epochs=2, val_interval=2)
val_cfg = dict(num_episodes=50)
test_cfg = dict(num_episodes=300)
default_hooks = dict(logger=dict(interval=5), checkpoint=dict(interval=2))
