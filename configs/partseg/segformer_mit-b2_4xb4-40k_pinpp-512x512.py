# SegFormer MiT-B2 on PIN++ parts (background + parts of part_ids.json), DESIGN §6: 512x512 crops, 40k
# iterations, AdamW 6e-5 with linear warm-up and poly decay (mmseg's SegFormer recipe), 4 crops per GPU. Ignore
# index 65535 (uint16 masks). The loss is evaluated at 8,192 random pixels per crop (PointLossSegformerHead, an
# unbiased estimate of mmseg's loss): ~3,311-way logits at full resolution would take 3.5 GB per crop.
_base_ = [
    'mmseg::_base_/models/segformer_mit-b0.py', '../_base_/datasets/pinpp_seg.py',
    'mmseg::_base_/default_runtime.py', 'mmseg::_base_/schedules/schedule_40k.py'
]
default_scope = 'mmpart'
crop_size = (512, 512)
checkpoint = 'https://download.openmmlab.com/mmsegmentation/v0.5/pretrain/segformer/mit_b2_20220624-66e8bf70.pth'  # noqa
model = dict(
    data_preprocessor=dict(size=crop_size, seg_pad_val=65535),
    backbone=dict(
        init_cfg=dict(type='Pretrained', checkpoint=checkpoint),
        embed_dims=64,
        num_heads=[1, 2, 5, 8],
        num_layers=[3, 4, 6, 3]),
    decode_head=dict(type='PointLossSegformerHead', _scope_='mmpart', num_points=8192,
                     in_channels=[64, 128, 320, 512], num_classes=_base_.num_classes, ignore_index=65535))
optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=0.00006, betas=(0.9, 0.999), weight_decay=0.01),
    paramwise_cfg=dict(custom_keys={
        'pos_block': dict(decay_mult=0.),
        'norm': dict(decay_mult=0.),
        'head': dict(lr_mult=10.)
    }))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-6, by_epoch=False, begin=0, end=1500),
    dict(type='PolyLR', eta_min=0.0, power=1.0, begin=1500, end=40000, by_epoch=False),
]
