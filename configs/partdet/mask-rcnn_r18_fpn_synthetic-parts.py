# Mask R-CNN on the synthetic PIN++ set (`make demo`): the PIN++ recipe of
# configs/partdet/mask-rcnn_r50_fpn_4xb2-62.5k_pinpp-parts.py scaled down by config only (ResNet-18,
# narrow FPN/heads, 128-px images, a short schedule). The default synthetic set: 6 object classes with 21 parts
# (num_classes = parts + objects, read from its part_ids.json when it exists, as in the dataset config).
_base_ = './mask-rcnn_r50_fpn_4xb2-62.5k_pinpp-parts.py'

data_root = 'data/synthetic_pinpp/converted/'
part_id_file = data_root + 'part_ids.json'
# configs cannot `import` (mmengine takes any import in a virtualenv for a new-style config): __import__
num_classes = __import__('mmpart.datasets.part_id_table', fromlist=['']).num_classes_in(
    part_id_file, 'parts_and_objects', default=21 + 6)
max_iters = 300
model = dict(
    backbone=dict(depth=18, init_cfg=None),
    neck=dict(in_channels=[64, 128, 256, 512], out_channels=64),
    rpn_head=dict(in_channels=64, feat_channels=64),
    roi_head=dict(
        bbox_roi_extractor=dict(out_channels=64),
        bbox_head=dict(in_channels=64, fc_out_channels=256, num_classes=num_classes),
        mask_roi_extractor=dict(out_channels=64),
        mask_head=dict(in_channels=64, conv_out_channels=64, num_classes=num_classes)),
    train_cfg=dict(rpn_proposal=dict(nms_pre=500, max_per_img=200), rcnn=dict(sampler=dict(num=128))),
    test_cfg=dict(rpn=dict(nms_pre=500, max_per_img=200)))

image_scale = (128, 128)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='Resize', scale=image_scale, keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=image_scale, keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='PackDetInputs', meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor')),
]
train_dataloader = dict(batch_size=4, dataset=dict(dataset=dict(data_root=data_root, num_classes=num_classes,
                                                                 pipeline=train_pipeline)))
val_dataloader = dict(batch_size=4, dataset=dict(data_root=data_root, num_classes=num_classes, pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(ann_file=data_root + 'coco/pinpp_parts_val.json')
test_evaluator = val_evaluator

train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=50),
    dict(type='MultiStepLR', by_epoch=False, begin=0, end=max_iters, milestones=[max_iters * 3 // 4], gamma=0.1),
]
optim_wrapper = dict(optimizer=dict(lr=0.02))
default_hooks = dict(logger=dict(interval=50), checkpoint=dict(interval=max_iters))
randomness = dict(seed=0)
