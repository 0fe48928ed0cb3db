# Part-aware pre-training for few-shot learning (beyond the PartImageNet paper, which asks to "exploit parts as
# a mid-level representation to facilitate few-shot learning"): the Meta-Baseline classifier of
# meta-baseline_resnet12_1xb128-100e_partimagenet-pretrain.py wrapped in MPM. The bypass predicts the 40
# PartImageNet parts + background (41 classes) from ResNet-12 blocks 2-4 (21², 10², 5² at 84 px), supervised by
# the part masks painted from the OOD release's train.json; inference, meta-tests and the stage-2 fine-tuning
# use the backbone only. Compare with the plain classifier through the same meta-test; then fine-tune with
# meta-baseline_resnet12_1xb100-20e_partimagenet-5way5shot.py (model.backbone.init_cfg.checkpoint=this run).
_base_ = './meta-baseline_resnet12_1xb128-100e_partimagenet-pretrain.py'

model = dict(
    type='MPMClassifier',
    backbone=dict(out_indices=(1, 2, 3)),
    part_head=dict(
        type='MPMPartHead',
        in_channels=[160, 320, 640],
        channels=320,  # projections 640→320, 320→160, 160→80
        num_classes=41,  # background 0, PartImageNet part p → p + 1 (LoadPartMaskFromAnnotations)
        act_cfg=dict(type='GELU'),
        label_smoothing=0.1,
        ignore_blank=True,
        loss_decode=dict(type='SoftFocalLoss', gamma=2.0, loss_weight=1.0)))

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadPartMaskFromAnnotations'),
    dict(type='JointRandomResizedCrop', scale={{_base_.image_size}}, backend='pillow', interpolation='bicubic'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackPartInputs'),
]
train_dataloader = dict(dataset=dict(with_part_masks=True, pipeline=train_pipeline))
