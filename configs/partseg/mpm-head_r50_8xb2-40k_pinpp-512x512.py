# The MPM bypass (MPMPartHead) as the decode head of an mmseg EncoderDecoder on PIN++ parts (background + 3,308 parts,
# ignore index 65535), as fpn_r50_8xb2-40k_pinpp-512x512.py: ResNet-50-V1c stages 2-4 feed the head's three scales;
# 512x512 crops, 40k iterations, SGD lr 0.01 poly.
_base_ = [
    'mmseg::_base_/models/fpn_r50.py', '../_base_/datasets/pinpp_seg.py',
    'mmseg::_base_/default_runtime.py', 'mmseg::_base_/schedules/schedule_40k.py'
]
default_scope = 'mmpart'
crop_size = (512, 512)
model = dict(
    data_preprocessor=dict(size=crop_size, seg_pad_val=65535),
    neck=None,
    decode_head=dict(
        _delete_=True,
        type='MPMPartHead',
        _scope_='mmpart',
        in_channels=[512, 1024, 2048],
        in_index=[1, 2, 3],
        channels=512,
        num_classes=3309,
        ignore_index=65535,
        norm_cfg=dict(type='SyncBN', requires_grad=True),
        act_cfg=dict(type='GELU'),
        label_smoothing=0.1,
        ignore_blank=True,
        loss_decode=dict(type='SoftFocalLoss', gamma=2.0, loss_weight=1.0)))
