# MPM ResNet-50 (GELU), standard (non-adversarial) training from scratch, 100 epochs (DESIGN §4),
# otherwise as configs/mpm/mpm_r50.py (EMA, AMP, clean validation).
_base_ = [
    '../_base_/models/mpm_resnet50_gelu.py', '../_base_/datasets/pinpp_in1k_cls.py',
    '../_base_/schedules/imagenet_bs512_100e_coslr_warmup.py', '../_base_/default_runtime.py'
]

model = dict(part_head=dict(num_classes=_base_.num_part_classes))
optim_wrapper = dict(type='AmpOptimWrapper', loss_scale='dynamic')
custom_hooks = [dict(type='EMAHook', momentum=2e-4, update_buffers=True)]
default_hooks = dict(checkpoint=dict(save_best='accuracy/top1', rule='greater'))
