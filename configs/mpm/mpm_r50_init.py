# MPM ResNet-50 (GELU), stage 1 (DESIGN §4): one epoch without attack, backbone frozen, training the
# classifier and the part bypass from torchvision's ResNet-50 weights (the reference used IMAGENET1K_V2).
# Its last checkpoint initialises stage 2 (configs/mpm/mpm_r50.py, load_from).
# The original code's recipe, where it differs from this one: mpm_r50_init_ref-exact.py (configs/mpm/README.md).
_base_ = [
    '../_base_/models/mpm_resnet50_gelu.py', '../_base_/datasets/pinpp_in1k_cls.py',
    '../_base_/schedules/imagenet_bs512_1e_warmup.py', '../_base_/default_runtime.py'
]

model = dict(backbone=dict(
    frozen_stages=4,
    init_cfg=dict(type='Pretrained', checkpoint='torchvision://ResNet50_Weights.IMAGENET1K_V2')),
    part_head=dict(num_classes=_base_.num_part_classes))
optim_wrapper = dict(type='AmpOptimWrapper', loss_scale='dynamic')
