# PIN++ classification with part masks on the built-in synthetic dataset (tools/demo.sh makes it):
#   python tools/dataset_converters/make_synthetic_pinpp.py data/synthetic_pinpp
#   python tools/dataset_converters/pinpp.py data/synthetic_pinpp/pinpp \
#       data/synthetic_pinpp/imagenet/train data/synthetic_pinpp/converted
dataset_type = 'PINPPDataset'
data_root = 'data/synthetic_pinpp/'
num_classes = 6
# background + parts (the MPM part head's num_classes, checked by the training set against its part_ids.json):
# from the converter's table when it exists, else the default synthetic set's 21 parts + background
part_id_file = data_root + 'converted/part_ids.json'
# configs cannot `import` (mmengine takes any import in a virtualenv for a new-style config): __import__
num_part_classes = __import__('mmpart.datasets.part_id_table', fromlist=['']).num_classes_in(
    part_id_file, 'segmentation', default=22)
image_size = 64

data_preprocessor = dict(
    num_classes=num_classes,
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    to_rgb=True,
)

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadPartMask'),
    dict(type='JointRandomResizedCrop', scale=image_size, crop_ratio_range=(0.35, 1.0), backend='pillow',
         interpolation='bicubic'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackPartInputs'),
]
test_pipeline = [  # as pinpp_in1k_cls.py's (RobustBench's preprocessing), scaled down
    dict(type='LoadImageFromFile', imdecode_backend='pillow', color_type='color_ignore_orientation'),
    dict(type='JointResizeEdge', scale=image_size * 8 // 7, edge='short', backend='pillow',
         interpolation='bilinear'),
    dict(type='CenterCrop', crop_size=image_size),
    dict(type='PackPartInputs'),
]

train_dataloader = dict(
    batch_size=16,
    num_workers=2,
    persistent_workers=True,
    collate_fn=dict(type='default_collate'),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        # all train images (annotated + the unlabeled pool); masks from the converter (and pseudo-labelling)
        data_prefix=dict(img_path='imagenet/train', seg_map_path='converted/seg',
                         pseudo_path='converted/whether_pseudo'),
        # pseudo part labels of the unlabeled pool (tools/pseudo_label.py --out data/synthetic_pinpp/pseudo)
        extra_mask_roots=['pseudo'],
        part_id_file='converted/part_ids.json',
        num_part_classes=num_part_classes,
        pipeline=train_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=True),
)
val_dataloader = dict(
    batch_size=32,
    num_workers=2,
    persistent_workers=True,
    collate_fn=dict(type='default_collate'),
    dataset=dict(
        type=dataset_type,
        data_root=data_root + 'imagenet/',
        data_prefix=dict(img_path='val'),
        part_id_file=None,
        pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False),
)
val_evaluator = dict(type='Accuracy', topk=(1, ))
test_dataloader = val_dataloader
test_evaluator = val_evaluator
