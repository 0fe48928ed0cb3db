# Baseline for configs/mpm/mpm_swin-t.py (its recipe without the bypass, from mmpretrain's IN-1K Swin-T weights, as
# baseline_r50.py starts from torchvision's), and the plain model an exported MPM Swin-T checkpoint
# (tools/model_converters/mpm_to_cls.py) loads into with strict=True. Same model as mmpretrain's standard Swin-T
# classifier (last stage, its norm, GlobalAveragePooling, linear head).
_base_ = './baseline_r50.py'

model = dict(
    backbone=dict(
        _delete_=True,
        type='SwinTransformer',
        arch='tiny',
        img_size=224,
        out_indices=(3, ),
        drop_path_rate=0.2,
        init_cfg=dict(
            type='Pretrained',
            prefix='backbone.',
            checkpoint='https://download.openmmlab.com/mmclassification/v0/swin-transformer/'
            'swin_tiny_224_b16x64_300e_imagenet_20210616_090925-66df6be6.pth')),
    head=dict(in_channels=768))

optim_wrapper = dict(  # as configs/mpm/mpm_swin-t.py
    _delete_=True,
    type='AmpOptimWrapper',
    loss_scale='dynamic',
    optimizer=dict(type='AdamW', lr=5e-4, weight_decay=0.05, eps=1e-8, betas=(0.9, 0.999)),
    paramwise_cfg=dict(
        norm_decay_mult=0.0,
        bias_decay_mult=0.0,
        flat_decay_mult=0.0,
        custom_keys={
            '.absolute_pos_embed': dict(decay_mult=0.0),
            '.relative_position_bias_table': dict(decay_mult=0.0)
        }),
    clip_grad=dict(max_norm=5.0))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=True, begin=0, end=20, convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=60, eta_min=1e-5, by_epoch=True, begin=20, end=80,
         convert_to_iter_based=True),
]
