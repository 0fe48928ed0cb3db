# protonet_conv4_1xb400-200e_partimagenet-20way5shot.py scaled down for the synthetic PartImageNet split
# (`make demo-benchmarks`): a 16-filter Conv-4 on 48 px images (16·3·3 = 144-d), 10-way 5-shot 5-query training
# episodes of the 12 train classes (batch 100), 4 epochs of 10 episodes; meta-tested on 300 5-way 1-/5-shot
# episodes of the 5 test classes (15 queries), as the other demo methods.
_base_ = './protonet_conv4_1xb400-200e_partimagenet-20way5shot.py'

data_root = 'data/synthetic_partimagenet/'
image_size = 48
num_ways, num_shots, num_queries = 10, 5, 5

data_preprocessor = dict(num_classes=12)
model = dict(backbone=dict(channels=(16, 16, 16, 16)),
             head=dict(num_ways=num_ways, num_shots=num_shots, num_queries=num_queries))
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(image_size, image_size), backend='pillow', interpolation='bicubic'),
    dict(type='PackPartInputs'),
]
train_dataloader = dict(
    batch_size=num_ways * (num_shots + num_queries), num_workers=2, dataset=dict(data_root=data_root,
                                                                                 pipeline=test_pipeline),
    sampler=dict(num_ways=num_ways, num_shots=num_shots, num_queries=num_queries, num_episodes=10))
val_dataloader = dict(batch_size=64, num_workers=2, dataset=dict(data_root=data_root, pipeline=test_pipeline))
test_dataloader = dict(batch_size=64, num_workers=2, dataset=dict(data_root=data_root, pipeline=test_pipeline))

param_scheduler = dict(step_size=20)
train_cfg = dict(max_epochs=4, val_interval=4)
val_cfg = dict(num_episodes=50)
test_cfg = dict(num_episodes=300)
default_hooks = dict(logger=dict(interval=5), checkpoint=dict(interval=4))
