# Stage 1 of configs/mpm/mpm_swin-t.py (as configs/mpm/mpm_r50_init.py): one epoch without attack, Swin-T frozen at
# mmpretrain's IN-1K weights (frozen_stages=3: patch embedding, all 4 stages and their output norms; norm1 and norm2
# exist for the bypass only and stay at LayerNorm's initialisation until stage 2), training the classifier and the
# bypass. Its last checkpoint is the load_from of stage 2.
_base_ = './mpm_r50_init.py'

model = dict(
    backbone=dict(
        _delete_=True,
        type='SwinTransformer',
        arch='tiny',
        img_size=224,
        out_indices=(1, 2, 3),
        frozen_stages=3,
        init_cfg=dict(
            type='Pretrained',
            prefix='backbone.',
            checkpoint='https://download.openmmlab.com/mmclassification/v0/swin-transformer/'
            'swin_tiny_224_b16x64_300e_imagenet_20210616_090925-66df6be6.pth')),
    head=dict(in_channels=768),
    part_head=dict(in_channels=[192, 384, 768]))
