# MPM R-50 (GELU) with fast adversarial training as Wong et al.'s ImageNet code runs it (locuslab/fast_adversarial,
# ImageNet/main_fast.py, configs/configs_fast_4px_phase{1,2,3}.yml), the part supervision as the PIN++ reference
# code's (dense part loss, 'nearest' targets). As configs/baseline/baseline_r50_fast-at_ref-exact.py, whose comment
# lists what differs from configs/mpm/mpm_r50_fast-at.py: the attack pass in train mode, its random start clamped
# inside the graph, progressive resizing 128 → 224 → 288 px (batch 512, 224, 128) over 15 epochs with the cyclic
# learning rate peaking at 0.4, plain momentum, no weight decay on BatchNorm, plain cross entropy for the classifier,
# no EMA, no step ramp, no colour jitter or random erasing; from scratch (no stage 1), as the reference. The part
# head's maps follow the image size (16², 8², 4² at 128 px). Table: configs/mpm/README.md, "Differences from the
# reference code".
#   tools/dist_train.sh configs/mpm/mpm_r50_fast-at_ref-exact.py 8
_base_ = './mpm_r50_fast-at.py'

model = dict(
    head=dict(loss=dict(_delete_=True, type='CrossEntropyLoss', loss_weight=1.0)),
    part_head=dict(num_points=None, mask_resize='nearest'),
    attack=dict(clamp_in_graph=True),
    attack_mode='train')
load_from = None  # from scratch, as the reference

loading = [t for t in _base_.train_pipeline if t['type'] in ('LoadImageFromFile', 'LoadPartMask')]
packing = [t for t in _base_.train_pipeline if t['type'] == 'PackPartInputs']
flip = dict(type='RandomFlip', prob=0.5, direction='horizontal')
train_pipeline = [  # epochs 0-5; ProgressiveResizingHook replaces it from epoch 6
    *loading, dict(type='JointResizeEdge', scale=160, edge='short', backend='pillow', interpolation='bicubic'),
    dict(type='JointRandomResizedCrop', scale=128, backend='pillow', interpolation='bilinear'), flip, *packing]
train_dataloader = dict(batch_size=64, dataset=dict(pipeline=train_pipeline))
data_preprocessor = dict(pixel_augments=None)  # no colour jitter or erasing on the batch either
optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.4, momentum=0.9, weight_decay=1e-4, nesterov=False),  # lr: set by the hook
    paramwise_cfg=dict(_delete_=True, norm_decay_mult=0.0))
param_scheduler = None
train_cfg = dict(max_epochs=15)
custom_hooks = [
    dict(type='ProgressiveResizingHook', phases=[
        dict(begin=6, dataloader=dict(batch_size=28, dataset=dict(pipeline=[
            *loading, dict(type='JointResizeEdge', scale=352, edge='short', backend='pillow', interpolation='bicubic'),
            dict(type='JointRandomResizedCrop', scale=224, backend='pillow', interpolation='bilinear'), flip,
            *packing]))),
        dict(begin=12, dataloader=dict(batch_size=16, dataset=dict(pipeline=[
            *loading, dict(type='JointRandomResizedCrop', scale=288, backend='pillow', interpolation='bilinear'), flip,
            *packing]))),
    ]),
    dict(type='PiecewiseLinearLRHook', epochs=[0, 1, 6, 12, 15], values=[0.0, 0.4, 0.04, 0.004, 0.0004]),
]
del loading, packing, flip  # helpers of this file, not settings
