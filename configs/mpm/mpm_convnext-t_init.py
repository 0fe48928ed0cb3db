# Stage 1 of configs/mpm/mpm_convnext-t.py (as configs/mpm/mpm_r50_init.py): one epoch without attack, the ConvNeXt-T
# stages frozen at mmpretrain's IN-1K weights, training the classifier, the bypass and the per-stage output norms
# (norm1 and norm2 exist for the bypass only and start untrained; norm3 is the pretrained final norm). Its last
# checkpoint is the load_from of stage 2.
_base_ = './mpm_r50_init.py'

model = dict(
    backbone=dict(
        _delete_=True,
        type='ConvNeXt',
        arch='tiny',
        out_indices=(1, 2, 3),
        gap_before_final_norm=False,
        frozen_stages=4,
        init_cfg=dict(
            type='Pretrained',
            prefix='backbone.',
            checkpoint='https://download.openmmlab.com/mmclassification/v0/convnext/'
            'convnext-tiny_32xb128_in1k_20221207-998cf3e9.pth')),
    head=dict(in_channels=768),
    part_head=dict(in_channels=[192, 384, 768]))
