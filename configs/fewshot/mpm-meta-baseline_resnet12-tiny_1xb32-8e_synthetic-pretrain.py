# mpm-meta-baseline_resnet12_1xb128-100e_partimagenet-pretrain.py scaled down for the synthetic PartImageNet split
# (tests, `make demo-benchmarks`): meta-baseline_resnet12-tiny_1xb32-8e_synthetic-pretrain.py plus the MPM bypass
# on blocks 2-4 (12², 6², 3² at 48 px), supervised by the synthetic train split's part masks (40 PartImageNet
# parts + background).
_base_ = './meta-baseline_resnet12-tiny_1xb32-8e_synthetic-pretrain.py'

model = dict(
    type='MPMClassifier',
    backbone=dict(out_indices=(1, 2, 3)),
    part_head=dict(
        type='MPMPartHead',
        in_channels=[32, 64, 128],
        channels=64,
        num_classes=41,
        act_cfg=dict(type='GELU'),
        label_smoothing=0.1,
        ignore_blank=True,
        loss_decode=dict(type='SoftFocalLoss', gamma=2.0, loss_weight=1.0)))

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadPartMaskFromAnnotations'),
    dict(type='JointRandomResizedCrop', scale={{_base_.image_size}}, crop_ratio_range=(0.35, 1.0), backend='pillow',
         interpolation='bicubic'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackPartInputs'),
]
train_dataloader = dict(dataset=dict(with_part_masks=True, pipeline=train_pipeline))
