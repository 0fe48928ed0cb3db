# Small adversarially trained baseline on the synthetic PIN++ set (tests, `make demo`): ResNet-18 with GELU and
# 32 base channels at 64 px, PGD-AT as the full recipe (ε 4/255, 2 steps of 4/255, random start, keep-best;
# step ramped over the first epoch), EMA, PGD-10 validation on the EMA weights. A few minutes on 2 CPU cores.
_base_ = [
    '../_base_/models/resnet50_gelu.py', '../_base_/datasets/pinpp_synthetic_cls.py',
    '../_base_/default_runtime.py'
]

model = dict(
    backbone=dict(depth=18, stem_channels=32, base_channels=32),
    head=dict(num_classes=6, in_channels=256, topk=(1, )),
    attack=dict(type='PGD', eps=4, steps=2, step_size=4, norm='linf', random_start=True, keep='loss'))

optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.05, momentum=0.9, weight_decay=1e-4))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.02, by_epoch=True, begin=0, end=1, convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=19, eta_min=1e-3, by_epoch=True, begin=1, end=20, convert_to_iter_based=True),
]
train_cfg = dict(by_epoch=True, max_epochs=20, val_interval=5)
val_cfg = dict(type='AdversarialValLoop', attack=dict(type='PGD', eps=4, steps=10, step_size=1, random_start=True))
val_evaluator = dict(type='RobustAccuracy', topk=(1, ))
test_cfg = dict()

custom_hooks = [
    dict(type='AttackStepRampHook', warmup_epochs=1),
    dict(type='EMAHook', momentum=0.05, update_buffers=True),  # short run: a short EMA horizon
]
default_hooks = dict(logger=dict(interval=5), checkpoint=dict(interval=1, max_keep_ckpts=2))
randomness = dict(seed=0)
