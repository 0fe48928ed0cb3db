# The MPM bypass (MPMPartHead, DESIGN §3) as the decode head of an mmseg EncoderDecoder on PartImageNet, in the
# same table as FPN / DeepLabv3 / SegFormer: 41 classes (40 parts + background, the background first as MPM labels
# parts; mIoU over the same 41 classes), ResNet-50-V1c stages 2-4 (strides 8, 16, 32) feeding the head's three
# scales, the prediction of the finest scale upsampled. Recipe of the other partseg configs: 512x512 crops, 40k
# iterations, SGD lr 0.01 momentum 0.9 poly; the head's own loss (soft focal CE at every scale).
_base_ = [
    'mmseg::_base_/models/fpn_r50.py', '../_base_/datasets/partimagenet_seg_background-first.py',
    'mmseg::_base_/default_runtime.py', 'mmseg::_base_/schedules/schedule_40k.py'
]
default_scope = 'mmpart'
crop_size = (512, 512)
model = dict(
    data_preprocessor=dict(size=crop_size),
    neck=None,
    decode_head=dict(
        _delete_=True,
        type='MPMPartHead',
        _scope_='mmpart',
        in_channels=[512, 1024, 2048],
        in_index=[1, 2, 3],
        channels=512,  # projections 2048→512, 1024→256, 512→128, as MPM's R-50 bypass
        num_classes=41,
        ignore_index=255,
        norm_cfg=dict(type='SyncBN', requires_grad=True),
        act_cfg=dict(type='GELU'),
        label_smoothing=0.1,
        ignore_blank=True,
        loss_decode=dict(type='SoftFocalLoss', gamma=2.0, loss_weight=1.0)))
