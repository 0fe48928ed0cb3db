# Mask R-CNN R-50-FPN on PIN++ (part + 1,000 object classes; num_classes from the dataset config, which reads the
# converter's part_ids.json), the reference benchmark of DESIGN §6:
# total batch 8, SGD lr 0.03, 62.5k iterations with steps at 50% / 75%, short side 375 / long side 500,
# repeat-factor sampling (threshold 0.001). Its part detections feed tools/pseudo_label.py.
_base_ = [
    'mmdet::_base_/models/mask-rcnn_r50_fpn.py', '../_base_/datasets/pinpp_ins.py',
    'mmdet::_base_/schedules/schedule_1x.py', 'mmdet::_base_/default_runtime.py'
]
default_scope = 'mmpart'
max_iters = 62500
model = dict(roi_head=dict(bbox_head=dict(num_classes=_base_.num_classes), mask_head=dict(num_classes=_base_.num_classes)))
train_cfg = dict(_delete_=True, type='IterBasedTrainLoop', max_iters=max_iters, val_interval=12500)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=500),
    dict(type='MultiStepLR', by_epoch=False, begin=0, end=max_iters,
         milestones=[max_iters // 2, max_iters * 3 // 4], gamma=0.1),
]
optim_wrapper = dict(optimizer=dict(lr=0.03))
default_hooks = dict(checkpoint=dict(by_epoch=False, interval=12500, max_keep_ckpts=2))
log_processor = dict(by_epoch=False)
auto_scale_lr = dict(base_batch_size=8)
