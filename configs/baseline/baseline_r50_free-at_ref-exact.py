# Free adversarial training as Shafahi et al.'s code runs it (mahyarnajibi/FreeAdversarialTraining, main_free.py,
# configs.yml, lib/utils.py): torchvision's ResNet-50 (ReLU) from scratch, m = 4 replays, ε = step = 4/255. What differs
# from configs/baseline/baseline_r50_free-at.py (table and reasons: configs/baseline/README.md, "Differences from the
# reference code"):
# * ⌈90 / m⌉ = 23 epochs, lr 0.1 for a batch of 256 (8 GPUs x 32), divided by 10 every ⌈30 / m⌉ = 8 epochs
#   (adjust_learning_rate), no warm-up;
# * plain momentum 0.9, weight decay 1e-4 on every parameter (norms and biases too), fp32;
# * plain cross entropy (no label smoothing), no EMA;
# * RandomResizedCrop 224 (bilinear) and flip only: no colour jitter, no random erasing.
# As baseline_r50_free-at.py: δ starts at 0, is clamped with the image inside the graph (in1.clamp_), stepped by
# ε · sign of the training backward's input gradient and carried over replays and batches. Not reproduced: the
# reference's clean-only validation (here PGD-10 as every recipe).
#   tools/dist_train.sh configs/baseline/baseline_r50_free-at_ref-exact.py 8
_base_ = './baseline_r50_free-at.py'

model = dict(
    backbone=dict(act_cfg=dict(type='ReLU', inplace=True), init_cfg=None),  # torchvision's resnet50, from scratch
    head=dict(loss=dict(_delete_=True, type='CrossEntropyLoss', loss_weight=1.0)))

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
