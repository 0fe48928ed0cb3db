# PIN++ part instance segmentation over the converter's COCO files (`coco/pinpp_parts_{train,val}.json`,
# written with --with-objects: part + object categories), DESIGN §6: short side 375 / long side 500,
# repeat-factor sampling with threshold 0.001 (mmengine's ClassBalancedDataset).
# Dataset dicts carry _scope_='mmpart' (the loops of mmseg::/mmdet:: schedule bases build dataloaders in their
# own scope); the datasets build their pipelines in mmseg's/mmdet's scope, as upstream configs.
dataset_type = 'PINPPCocoDataset'
data_root = 'data/pinpp/'
backend_args = None
# num_classes = parts + object classes, shared by the datasets (which check it against the part_ids.json they read
# and stop naming both numbers if they disagree) and the detector's heads. It is read from the converter's
# part_ids.json when that exists where the config is loaded (the repository root, as data_root), else it is the
# count of the PIN++ authors' training code (3,310 parts; the paper says 3,308) + 1,000 objects. With another
# data_root, set num_classes in your config and in the datasets and heads that take it.
part_id_file = data_root + 'part_ids.json'
# configs cannot `import` (mmengine takes any import in a virtualenv for a new-style config): __import__
num_classes = __import__('mmpart.datasets.part_id_table', fromlist=['']).num_classes_in(
    part_id_file, 'parts_and_objects', default=3310 + 1000)
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
        type='ClassBalancedDataset',
        _scope_='mmpart',
        oversample_thr=1e-3,
        dataset=dict(
            type=dataset_type,
            _scope_='mmpart',
            data_root=data_root,
            ann_file='coco/pinpp_parts_train.json',
            data_prefix=dict(img='img/'),
            with_objects=True,
            num_classes=num_classes,
            filter_cfg=dict(filter_empty_gt=True, min_size=8),
            pipeline=train_pipeline,
            backend_args=backend_args)))
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
        ann_file='coco/pinpp_parts_val.json',
        data_prefix=dict(img='img/'),
        with_objects=True,
        num_classes=num_classes,
        test_mode=True,
        pipeline=test_pipeline,
        backend_args=backend_args))
test_dataloader = val_dataloader
val_evaluator = dict(
    type='CocoMetric',
    _scope_='mmdet',
    ann_file=data_root + 'coco/pinpp_parts_val.json',
    metric=['bbox', 'segm'],
    format_only=False,
    backend_args=backend_args)
test_evaluator = val_evaluator
