# Downstream detection on the synthetic PIN++ objects (tests, `make demo`): Faster R-CNN with the backbone of
# configs/mpm/mpm_r18_synthetic.py initialised from its checkpoint, trained on the converter's COCO json
# (`--with-objects`), detecting the 6 object classes. Tiny images and a short schedule: the real code path,
# scaled down by config only.
_base_ = './faster-rcnn_mpm-r50_fpn_1x_coco.py'

data_root = 'data/synthetic_pinpp/converted/'
mpm_checkpoint = 'work_dirs/mpm_r18_synthetic/epoch_20.pth'
wnids = ('n90000000', 'n90000001', 'n90000002', 'n90000003', 'n90000004', 'n90000005')

model = dict(
    backbone=dict(depth=18, stem_channels=32, base_channels=32, frozen_stages=-1,
                  init_cfg=dict(checkpoint=mpm_checkpoint)),
    neck=dict(in_channels=[32, 64, 128, 256], out_channels=64),
    rpn_head=dict(in_channels=64, feat_channels=64),
    roi_head=dict(bbox_roi_extractor=dict(out_channels=64),
                  bbox_head=dict(in_channels=64, fc_out_channels=256, num_classes=len(wnids))))

image_scale = (128, 128)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='Resize', scale=image_scale, keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=image_scale, keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='PackDetInputs', meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor')),
]
synthetic_dataset = dict(_delete_=True, type='PINPPCocoDataset', _scope_='mmpart', data_root=data_root, with_objects=True,
               metainfo=dict(classes=wnids))
train_dataloader = dict(
    batch_size=4, num_workers=2, batch_sampler=None,
    dataset=dict(synthetic_dataset, ann_file='coco/pinpp_parts_train.json', filter_cfg=dict(filter_empty_gt=True),
                 pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=4, num_workers=2,
    dataset=dict(synthetic_dataset, ann_file='coco/pinpp_parts_val.json', test_mode=True, pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(ann_file=data_root + 'coco/pinpp_parts_val.json', metric='bbox')
test_evaluator = val_evaluator

train_cfg = dict(max_epochs=4, val_interval=4)
param_scheduler = [dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=20)]
optim_wrapper = dict(optimizer=dict(lr=0.02))
default_hooks = dict(logger=dict(interval=10), checkpoint=dict(interval=4))
# mmdet's runtime leaves the seed unset (a random one per run): `make demo-benchmarks` must print one table
randomness = dict(seed=0)
