# PartImageNet part instance segmentation from the Seg release's COCO json (40 part categories with ids from 0), at
# PIN++'s image scale (short side 375 / long side 500). Datasets and CocoMetric read the cleaned copies written by
#   python tools/dataset_converters/partimagenet.py data/PartImageNet
# (`annotations/{split}_cleaned.json`: annotation ids from 1, defects dropped; see annotations/cleaned_summary.json).
# For the OOD release use ann_file='train_cleaned.json', data_prefix=dict(img='train/') etc. (images in wnid
# folders; found by the dataset).
# Dataset dicts carry _scope_='mmpart' (the loops of mmseg::/mmdet:: schedule bases build dataloaders in their
# own scope); the datasets build their pipelines in mmseg's/mmdet's scope, as upstream configs.
dataset_type = 'PartImageNetCocoDataset'
data_root = 'data/PartImageNet/'
backend_args = None
train_pipeline = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='Resize', scale=(500, 375), keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    dict(type='Resize', scale=(500, 375), keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='PackDetInputs', meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor')),
]
train_dataloader = dict(
    batch_size=2,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    batch_sampler=dict(type='AspectRatioBatchSampler', _scope_='mmdet'),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(
        type=dataset_type,
        _scope_='mmpart',
        data_root=data_root,
        ann_file='annotations/train_cleaned.json',
        data_prefix=dict(img='images/train/'),
        filter_cfg=dict(filter_empty_gt=True, min_size=8),
        pipeline=train_pipeline,
        backend_args=backend_args))
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(
        type=dataset_type,
        _scope_='mmpart',
        data_root=data_root,
        ann_file='annotations/val_cleaned.json',
        data_prefix=dict(img='images/val/'),
        test_mode=True,
        pipeline=test_pipeline,
        backend_args=backend_args))
test_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(
        type=dataset_type,
        _scope_='mmpart',
        data_root=data_root,
        ann_file='annotations/test_cleaned.json',
        data_prefix=dict(img='images/test/'),
        test_mode=True,
        pipeline=test_pipeline,
        backend_args=backend_args))
val_evaluator = dict(
    type='CocoMetric',
    _scope_='mmdet',
    ann_file=data_root + 'annotations/val_cleaned.json',
    metric=['bbox', 'segm'],
    format_only=False,
    backend_args=backend_args)
test_evaluator = dict(val_evaluator, ann_file=data_root + 'annotations/test_cleaned.json')
