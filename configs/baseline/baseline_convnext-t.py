# Baseline for configs/mpm/mpm_convnext-t.py (its recipe without the bypass, from mmpretrain's IN-1K ConvNeXt-T
# weights, as baseline_r50.py starts from torchvision's), and the plain model an exported MPM ConvNeXt-T checkpoint
# (tools/model_converters/mpm_to_cls.py) loads into with strict=True. It differs from mmpretrain's standard ConvNeXt-T
# classifier in one point, which MPM needs for its feature maps: gap_before_final_norm=False with a
# GlobalAveragePooling neck (the final norm runs on the 7×7 map, then the pooling; mmpretrain pools first). The keys
# are the same, so mmpretrain's weights load, but its reported accuracy is not this model's.
_base_ = './baseline_r50.py'

model = dict(
    backbone=dict(
        _delete_=True,
        type='ConvNeXt',
        arch='tiny',
        out_indices=(3, ),
        gap_before_final_norm=False,
        drop_path_rate=0.1,
        init_cfg=dict(
            type='Pretrained',
            prefix='backbone.',
            checkpoint='https://download.openmmlab.com/mmclassification/v0/convnext/'
            'convnext-tiny_32xb128_in1k_20221207-998cf3e9.pth')),
    head=dict(in_channels=768))

optim_wrapper = dict(  # as configs/mpm/mpm_convnext-t.py
    _delete_=True,
    type='AmpOptimWrapper',
    loss_scale='dynamic',
    optimizer=dict(type='AdamW', lr=5e-4, weight_decay=0.05, eps=1e-8, betas=(0.9, 0.999)),
    paramwise_cfg=dict(norm_decay_mult=0.0, bias_decay_mult=0.0, flat_decay_mult=0.0))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=True, begin=0, end=20, convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=60, eta_min=1e-5, by_epoch=True, begin=20, end=80,
         convert_to_iter_based=True),
]
