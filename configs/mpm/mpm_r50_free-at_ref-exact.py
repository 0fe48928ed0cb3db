# MPM R-50 (GELU) with free adversarial training as Shafahi et al.'s code runs it (mahyarnajibi/FreeAdversarialTraining,
# main_free.py, configs.yml), the part supervision as the PIN++ reference code's (dense part loss, 'nearest' targets).
# As configs/baseline/baseline_r50_free-at_ref-exact.py, whose comment lists what differs from
# configs/mpm/mpm_r50_free-at.py: 23 epochs of m = 4 replays, lr 0.1 for a batch of 256 divided by 10 every 8 epochs,
# plain momentum, weight decay on every parameter, fp32, plain cross entropy for the classifier, no EMA, crop and
# flip only; from scratch (no stage 1), as the reference. Table: configs/mpm/README.md, "Differences from the
# reference code".
#   tools/dist_train.sh configs/mpm/mpm_r50_free-at_ref-exact.py 8
_base_ = './mpm_r50_free-at.py'

model = dict(
    head=dict(loss=dict(_delete_=True, type='CrossEntropyLoss', loss_weight=1.0)),
    part_head=dict(num_points=None, mask_resize='nearest'))
load_from = None  # from scratch, as the reference

train_pipeline = [
    *[t for t in _base_.train_pipeline if t['type'] in ('LoadImageFromFile', 'LoadPartMask')],
    dict(type='JointRandomResizedCrop', scale=224, backend='pillow', interpolation='bilinear'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    *[t for t in _base_.train_pipeline if t['type'] == 'PackPartInputs'],
]
train_dataloader = dict(batch_size=32, dataset=dict(pipeline=train_pipeline))
data_preprocessor = dict(pixel_augments=None)  # no colour jitter or erasing on the batch either
optim_wrapper = dict(_delete_=True, type='OptimWrapper',
                     optimizer=dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=1e-4))
param_scheduler = [dict(type='MultiStepLR', by_epoch=True, milestones=[8, 16], gamma=0.1)]
train_cfg = dict(max_epochs=23)
auto_scale_lr = dict(base_batch_size=256)
custom_hooks = []
