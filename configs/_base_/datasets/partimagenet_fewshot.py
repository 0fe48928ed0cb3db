# PartImageNet OOD release as the few-shot benchmark (DESIGN §9): disjoint classes, train 109 (classifier
# pre-training or episodic training), val 19 (model selection), test 30 (meta-test); labels from the wnid
# folder; images at 84x84. Validation and test are N-way K-shot episodes (MetaValLoop / MetaTestLoop, 5-way,
# 1- and 5-shot, 15 queries) classified from features extracted once per evaluation.
#   data/PartImageNet_OOD/{train,val,test}/<wnid>/*.JPEG, {train,val,test}.json
dataset_type = 'PartImageNetClsDataset'
data_root = 'data/PartImageNet_OOD/'
image_size = 84
num_train_classes = 109

data_preprocessor = dict(
    num_classes=num_train_classes,
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    to_rgb=True,
)

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='JointRandomResizedCrop', scale=image_size, backend='pillow', interpolation='bicubic'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackPartInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(image_size, image_size), backend='pillow', interpolation='bicubic'),
    dict(type='PackPartInputs'),
]

train_dataloader = dict(
    batch_size=128,
    num_workers=4,
    persistent_workers=True,
    collate_fn=dict(type='default_collate'),
    dataset=dict(type=dataset_type, data_root=data_root, split='train', pipeline=train_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=True),
)
# the meta loops visit every image once: any batch size, no shuffling
val_dataloader = dict(
    batch_size=128,
    num_workers=4,
    persistent_workers=True,
    collate_fn=dict(type='default_collate'),
    dataset=dict(type=dataset_type, data_root=data_root, split='val', pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False),
)
test_dataloader = dict(
    batch_size=128,
    num_workers=4,
    persistent_workers=True,
    collate_fn=dict(type='default_collate'),
    dataset=dict(type=dataset_type, data_root=data_root, split='test', pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False),
)
val_evaluator = dict(type='FewShotAccuracy')
test_evaluator = val_evaluator
# 5-way 1-shot and 5-shot, 15 queries; 500 val episodes, 2,000 test episodes (as mmfewshot), seed 0
val_cfg = dict(type='MetaValLoop', num_ways=5, num_shots=(1, 5), num_queries=15, num_episodes=500, seed=0)
test_cfg = dict(type='MetaTestLoop', num_ways=5, num_shots=(1, 5), num_queries=15, num_episodes=2000, seed=0)
