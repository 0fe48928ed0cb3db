# Baseline for configs/mpm/mpm_r50.py: the same recipe without the part bypass (DESIGN §4). ResNet-50 (GELU)
# from torchvision's weights, PGD-AT (ε 4/255, 2 steps of 4/255, random start, keep-best, step ramped over
# 2 epochs), 80 epochs, AMP, EMA 0.9998, PGD-10 validation on the EMA weights.
#   tools/dist_train.sh configs/baseline/baseline_r50.py 8
# The original code's recipe, where it differs from this one: baseline_r50_ref-exact.py (configs/baseline/README.md).
_base_ = [
    '../_base_/models/resnet50_gelu.py', '../_base_/datasets/pinpp_in1k_cls.py',
    '../_base_/schedules/imagenet_bs512_80e_coslr_warmup.py', '../_base_/default_runtime.py'
]

model = dict(
    backbone=dict(init_cfg=dict(type='Pretrained', checkpoint='torchvision://ResNet50_Weights.IMAGENET1K_V2')),
    attack=dict(type='PGD', eps=4, steps=2, step_size=4, norm='linf', random_start=True, keep='loss'))

optim_wrapper = dict(type='AmpOptimWrapper', loss_scale='dynamic')
custom_hooks = [
    dict(type='AttackStepRampHook', warmup_epochs=2),
    dict(type='EMAHook', momentum=2e-4, update_buffers=True),
]

val_cfg = dict(type='AdversarialValLoop', attack=dict(type='PGD', eps=4, steps=10, step_size=1, random_start=True))
val_evaluator = dict(type='RobustAccuracy', topk=(1, 5))
default_hooks = dict(checkpoint=dict(save_best='accuracy/robust_top1', rule='greater'))
