# Fast adversarial training as Wong et al.'s ImageNet code runs it (locuslab/fast_adversarial, ImageNet/main_fast.py,
# configs/configs_fast_4px_phase{1,2,3}.yml, run_fast_4px.sh, resize.py): torchvision's ResNet-50 (ReLU) from scratch,
# ε 4/255, 15 epochs. What differs from configs/baseline/baseline_r50_fast-at.py (table and reasons:
# configs/baseline/README.md, "Differences from the reference code"):
# * the attack pass runs in train mode (BatchNorm on the batch's statistics, running statistics updated by it too);
# * its uniform random start is clamped to [0, 1] inside the graph: a pixel pushed past 0 or 1 gets no gradient and
#   keeps its start (main_fast.py's in1.clamp_ on the noise's graph);
# * progressive resizing: epochs 0-5 on images resized to a short side of 160 (bicubic) and cropped to 128, batch
#   512; epochs 6-11 from 352 to 224, batch 224; epochs 12-14 full-size images to 288, batch 128 (8 GPUs x 64, 28,
#   16), RandomResizedCrop (bilinear) and flip only: no colour jitter, no random erasing;
# * the learning rate, by fractional epoch: 0 → 0.4 at epoch 1 → 0.04 at 6 → 0.004 at 12 → 0.0004 at 15, linear in
#   between, plain momentum 0.9, weight decay 1e-4 on everything but BatchNorm (biases decay);
# * plain cross entropy (no label smoothing), no EMA, no step ramp; fp16 (AMP) as the reference's apex O1.
# Not reproduced: resize.py's re-encoding of the resized copies as JPEG, and the reference's clean-only validation
# (here PGD-10 as every recipe).
#   tools/dist_train.sh configs/baseline/baseline_r50_fast-at_ref-exact.py 8
_base_ = './baseline_r50_fast-at.py'

model = dict(
    backbone=dict(act_cfg=dict(type='ReLU', inplace=True), init_cfg=None),  # torchvision's resnet50, from scratch
    head=dict(loss=dict(_delete_=True, type='CrossEntropyLoss', loss_weight=1.0)),
    attack=dict(clamp_in_graph=True),
    attack_mode='train')

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
