# MPM with mmpretrain's Swin-T, stage 2 (as configs/mpm/mpm_r50.py: PGD-AT, EMA, AMP, PGD-10 validation): stages 2-4
# (192, 384, 768 channels at 28², 14², 7²) feed the bypass. Per backbone: its own stage-1 checkpoint
# (configs/mpm/mpm_swin-t_init.py) and mmpretrain's Swin optimizer (swin-tiny_16xb64_in1k.py): AdamW, lr 5e-4 per
# 512 images, wd 0.05 without decay on norms, biases, 1-D parameters and position tables, gradients clipped at norm
# 5, linear warm-up from 1e-3 over 20 epochs, then cosine to 1e-5 (per iteration).
# Deploys into configs/baseline/baseline_swin-t.py.
_base_ = './mpm_r50.py'

model = dict(
    backbone=dict(_delete_=True, type='SwinTransformer', arch='tiny', img_size=224, out_indices=(1, 2, 3),
                  drop_path_rate=0.2),
    head=dict(in_channels=768),
    part_head=dict(in_channels=[192, 384, 768]))
load_from = 'work_dirs/mpm_swin-t_init/epoch_1.pth'

optim_wrapper = dict(
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
