# IN-1K classification with PIN++ part masks (GT from tools/dataset_converters/pinpp.py, plus pseudo
# labels), DESIGN §4: 224 px bicubic, colour jitter 0.1, random erasing 0.25.
dataset_type = 'PINPPDataset'
data_root = 'data/'
# num_part_classes = background + parts: the MPM part head's num_classes, which the training set checks against the
# part_ids.json it reads (stopping with both numbers if they disagree). It is read from the converter's
# part_ids.json when that exists where the config is loaded (the repository root), else it is the count of the
# PIN++ authors' training code (3,310 parts + background; the paper says 3,308 parts). With another data_root, set
# num_part_classes in your config (the MPM configs pass it to model.part_head.num_classes).
part_id_file = data_root + 'pinpp/part_ids.json'
# configs cannot `import` (mmengine takes any import in a virtualenv for a new-style config): __import__
num_part_classes = __import__('mmpart.datasets.part_id_table', fromlist=['']).num_classes_in(
    part_id_file, 'segmentation', default=3311)

# Colour jitter 0.1 and random erasing 0.25 (DESIGN §4), each image with its own parameters. The recipes run them on
# the whole batch in the data preprocessor, on the GPU (BatchColorJitter, BatchRandomErasing: the same per-image
# distributions, and for the same parameters the same pixels, as mmpretrain's ColorJitter and RandomErasing), so
# the CPU loader only decodes, crops and flips (README, Benchmarks). To run them per image in the loader instead,
# as before issue 25, a config sets
#   data_preprocessor = dict(pixel_augments=None)
#   train_dataloader = dict(dataset=dict(pipeline=_base_.train_pipeline_cpu_augments))
color_jitter = dict(brightness=0.1, contrast=0.1, saturation=0.1)
random_erasing = dict(erase_prob=0.25, mode='rand', min_area_ratio=0.02, max_area_ratio=1 / 3)
data_preprocessor = dict(
    type='PixelAugmentClsDataPreprocessor',
    num_classes=1000,
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    to_rgb=True,
    pixel_augments=[  # on the RGB batch: fill colour and spread in RGB
        dict(type='BatchColorJitter', **color_jitter),
        dict(type='BatchRandomErasing', **random_erasing, fill_color=[123.675, 116.28, 103.53],
             fill_std=[58.395, 57.12, 57.375]),
    ],
)

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadPartMask'),
    dict(type='JointRandomResizedCrop', scale=224, backend='pillow', interpolation='bicubic'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackPartInputs'),
]
# the same augmentations per image in the loader (on BGR images: fill colour and spread in BGR)
train_pipeline_cpu_augments = [
    *train_pipeline[:-1],
    dict(type='ColorJitter', **color_jitter),
    dict(type='RandomErasing', **random_erasing, fill_color=[103.53, 116.28, 123.675], fill_std=[57.375, 57.12, 58.395]),
    train_pipeline[-1],
]
# evaluation as RobustBench's (torchvision Resize(256) + CenterCrop(224) on PIL images, bilinear), see
# configs/_base_/datasets/imagenet_val_robustbench5k.py
test_pipeline = [
    dict(type='LoadImageFromFile', imdecode_backend='pillow', color_type='color_ignore_orientation'),
    dict(type='JointResizeEdge', scale=256, edge='short', backend='pillow', interpolation='bilinear'),
    dict(type='CenterCrop', crop_size=224),
    dict(type='PackPartInputs'),
]

train_dataloader = dict(
    batch_size=64,
    num_workers=8,
    persistent_workers=True,
    collate_fn=dict(type='default_collate'),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        # IN-1K train images; masks and pseudo flags from the converter / pseudo-labelling output
        data_prefix=dict(img_path='imagenet/train', seg_map_path='pinpp/seg', pseudo_path='pinpp/whether_pseudo'),
        # pseudo part labels (tools/pseudo_label.py --out data/pinpp_pseudo); GT masks take precedence
        extra_mask_roots=['pinpp_pseudo'],
        part_id_file='pinpp/part_ids.json',
        num_part_classes=num_part_classes,
        pipeline=train_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=True),
)
imagenet_val = dict(type='ImageNet', data_root=data_root + 'imagenet/', split='val', pipeline=test_pipeline)
# validation during training: a fixed 10 images per class of IN-1K val (10,000, as the PIN++ reference code), so
# PGD-10 after every epoch costs a fifth of the full set; the final test (tools/test.py) runs on all 50,000
val_dataloader = dict(
    batch_size=64,
    num_workers=8,
    persistent_workers=True,
    collate_fn=dict(type='default_collate'),
    dataset=dict(type='PerClassSubset', dataset=imagenet_val, per_class=10),
    sampler=dict(type='DefaultSampler', shuffle=False),
)
val_evaluator = dict(type='Accuracy', topk=(1, 5))
test_dataloader = dict(val_dataloader, dataset=imagenet_val)
test_evaluator = val_evaluator
