# maml_conv4_1xb320-600e_partimagenet-5way1shot.py scaled down for the synthetic PartImageNet split (tests,
# `make demo-benchmarks`): a 16-filter Conv-4 on 48 px images (16·3·3 = 144-d map), 5-way 1-shot 3-query
# training episodes, 2 tasks per meta-batch, 2 inner steps in training and 5 at test, 4 epochs of 40 episodes;
# meta-tested on 300 5-way 1- and 5-shot episodes of the 5 test classes (15 queries), as the other demo methods.
#   python tools/dataset_converters/make_synthetic_partimagenet.py data/synthetic_partimagenet --image-size 48 \
#       --images-per-class 24
_base_ = './maml_conv4_1xb320-600e_partimagenet-5way1shot.py'

data_root = 'data/synthetic_partimagenet/'
image_size = 48
num_ways, num_shots, num_queries, num_tasks = 5, 1, 3, 2

data_preprocessor = dict(num_classes=12)
model = dict(head=dict(backbone=dict(channels=(16, 16, 16, 16)), in_channels=16 * 3 * 3, num_queries=num_queries,
                       num_tasks=num_tasks, num_inner_steps=2, num_test_inner_steps=5))

test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(image_size, image_size), backend='pillow', interpolation='bicubic'),
    dict(type='PackPartInputs'),
]
train_dataloader = dict(
    batch_size=num_tasks * num_ways * (num_shots + num_queries), num_workers=2,
    dataset=dict(data_root=data_root, pipeline=test_pipeline),
    sampler=dict(num_queries=num_queries, num_episodes=20 * num_tasks))
val_dataloader = dict(batch_size=64, num_workers=2, dataset=dict(data_root=data_root, pipeline=test_pipeline))
test_dataloader = dict(batch_size=64, num_workers=2, dataset=dict(data_root=data_root, pipeline=test_pipeline))

train_cfg = dict(max_epochs=4, val_interval=4)
val_cfg = dict(num_shots=(1, ), num_episodes=50)
test_cfg = dict(num_shots=(1, 5), num_episodes=300)
default_hooks = dict(logger=dict(interval=5), checkpoint=dict(interval=4))
