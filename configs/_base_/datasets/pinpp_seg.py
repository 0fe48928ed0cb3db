# PIN++ semantic part segmentation over the converter's mmseg view (`splits/*.txt` over `img/`, `seg/`):
# background + every part of `part_ids.json`. Masks are uint16 (255 is a real part id), so they load with
# mmpart's LoadPartMask and 65535 is the ignore index in the pipeline, the data preprocessor's padding, the
# heads (and so their losses) and the metric.
# Dataset dicts carry _scope_='mmpart' (the loops of mmseg::/mmdet:: schedule bases build dataloaders in their
# own scope); the datasets build their pipelines in mmseg's/mmdet's scope, as upstream configs.
dataset_type = 'PINPPSegDataset'
data_root = 'data/pinpp/'
crop_size = (512, 512)
ignore_index = 65535
# num_classes = background + parts, shared by the datasets (which check it against the part_ids.json they read
# and stop naming both numbers if they disagree) and the models' heads. It is read from the converter's
# part_ids.json when that exists where the config is loaded (the repository root, as data_root), else it is the
# count of the PIN++ authors' training code (3,310 parts + background; the paper says 3,308 parts). With another
# data_root, set num_classes in your config (and the heads' num_classes, which the model configs take from it).
part_id_file = data_root + 'part_ids.json'
# configs cannot `import` (mmengine takes any import in a virtualenv for a new-style config): __import__
num_classes = __import__('mmpart.datasets.part_id_table', fromlist=['']).num_classes_in(
    part_id_file, 'segmentation', default=3311)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadPartMask', _scope_='mmpart'),
    dict(type='RandomResize', scale=(2048, 512), ratio_range=(0.5, 2.0), keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=0.75, ignore_index=ignore_index),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PhotoMetricDistortion'),
    dict(type='PackSegInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(2048, 512), keep_ratio=True),
    # after Resize: metrics compare with the mask at its original size
    dict(type='LoadPartMask', _scope_='mmpart'),
    dict(type='PackSegInputs'),
]
img_ratios = [0.5, 0.75, 1.0, 1.25, 1.5, 1.75]
tta_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='TestTimeAug', transforms=[
        [dict(type='Resize', scale_factor=r, keep_ratio=True) for r in img_ratios],
        [dict(type='RandomFlip', prob=0., direction='horizontal'),
         dict(type='RandomFlip', prob=1., direction='horizontal')],
        [dict(type='LoadPartMask', _scope_='mmpart')],
        [dict(type='PackSegInputs')],
    ]),
]
train_dataloader = dict(
    batch_size=4,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(
        type=dataset_type,
        _scope_='mmpart',
        data_root=data_root,
        ann_file='splits/train.txt',
        num_classes=num_classes,
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(
        type=dataset_type,
        _scope_='mmpart',
        data_root=data_root,
        ann_file='splits/val.txt',
        num_classes=num_classes,
        pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='IoUMetric', _scope_='mmseg', iou_metrics=['mIoU'], ignore_index=ignore_index)
test_evaluator = val_evaluator
