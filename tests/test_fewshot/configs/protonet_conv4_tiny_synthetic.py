# configs/fewshot/protonet_conv4_1xb400-200e_partimagenet-20way5shot.py shrunk for CPU tests: a narrow Conv-4 on
# 32 px images, 5-way 2-shot 2-query training episodes, 2 epochs of 4 episodes, 5-way 1-/2-shot validation on
# 10 episodes. The data root comes from --cfg-options.
_base_ = '../../../configs/fewshot/protonet_conv4_1xb400-200e_partimagenet-20way5shot.py'

num_ways, num_shots, num_queries = 5, 2, 2
image_size = 32
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(image_size, image_size), backend='pillow', interpolation='bicubic'),
    dict(type='PackPartInputs'),
]
data_preprocessor = dict(num_classes=6)
model = dict(backbone=dict(channels=(8, 8, 8, 8)),
             head=dict(num_ways=num_ways, num_shots=num_shots, num_queries=num_queries))
train_dataloader = dict(
    batch_size=num_ways * (num_shots + num_queries), num_workers=0, persistent_workers=False,
    dataset=dict(pipeline=test_pipeline),
    sampler=dict(num_ways=num_ways, num_shots=num_shots, num_queries=num_queries, num_episodes=4))
val_dataloader = dict(batch_size=8, num_workers=0, persistent_workers=False, dataset=dict(pipeline=test_pipeline))
test_dataloader = dict(batch_size=8, num_workers=0, persistent_workers=False, dataset=dict(pipeline=test_pipeline))
train_cfg = dict(max_epochs=2, val_interval=2)
val_cfg = dict(num_shots=(1, 2), num_queries=3, num_episodes=10)
test_cfg = dict(num_shots=(1, 2), num_queries=3, num_episodes=10)
default_hooks = dict(logger=dict(interval=1), checkpoint=dict(interval=2, save_best='fewshot/5way-2shot_accuracy'))
