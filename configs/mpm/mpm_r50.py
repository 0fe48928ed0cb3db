# MPM ResNet-50 (GELU), stage 2: PGD adversarial training on IN-1K with PIN++ part masks (DESIGN §4).
#   tools/dist_train.sh configs/mpm/mpm_r50.py 8          (8 GPUs x 64 = 512 images per iteration)
# Starts from the stage-1 checkpoint (configs/mpm/mpm_r50_init.py). PGD-AT: L∞, ε 4/255, 2 steps of
# 4/255, uniform random start, keep-best, maximising the classification loss in eval mode; the step
# ramps linearly from 0 over the first 2 epochs; training sees adversarial inputs only (part loss too).
# EMA 0.9998 (mmengine momentum = 1 - decay), validation on the EMA weights with PGD-10 (ε 4/255, step
# ε/4), clean and robust accuracy side by side.
# Another backbone inherits this file and sets its backbone, its own stage-1 load_from and its optimizer recipe
# (configs/mpm/mpm_convnext-t.py, mpm_swin-t.py); a load_from that does not fit the model stops the run.
# The original code's recipe, where it differs from this one: mpm_r50_ref-exact.py (configs/mpm/README.md).
_base_ = [
    '../_base_/models/mpm_resnet50_gelu.py', '../_base_/datasets/pinpp_in1k_cls.py',
    '../_base_/schedules/imagenet_bs512_80e_coslr_warmup.py', '../_base_/default_runtime.py'
]

model = dict(
    attack=dict(type='PGD', eps=4, steps=2, step_size=4, norm='linf', random_start=True, keep='loss'),
    # part loss at 25, 12, 6 random pixels per image of the 28², 14², 7² maps (1/32, 1/16, 1/8 of them: the
    # same cost at each scale; smaller maps are capped at all pixels), an unbiased estimate of the dense loss
    # at a fraction of its cost (README, Benchmarks); configs/mpm/mpm_r50_dense.py is the paper-exact loss
    part_head=dict(num_classes=_base_.num_part_classes, num_points=[25, 12, 6]))
load_from = 'work_dirs/mpm_r50_init/epoch_1.pth'  # stage 1; must fit the model exactly (StrictLoadHook)

optim_wrapper = dict(type='AmpOptimWrapper', loss_scale='dynamic')
custom_hooks = [
    dict(type='AttackStepRampHook', warmup_epochs=2),
    dict(type='EMAHook', momentum=2e-4, update_buffers=True),
]

val_cfg = dict(type='AdversarialValLoop', attack=dict(type='PGD', eps=4, steps=10, step_size=1, random_start=True))
val_evaluator = dict(type='RobustAccuracy', topk=(1, 5))
default_hooks = dict(checkpoint=dict(save_best='accuracy/robust_top1', rule='greater'))
