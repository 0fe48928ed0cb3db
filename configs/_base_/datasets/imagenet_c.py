# ImageNet-C release (Hendrycks & Dietterich 2019): data/imagenet-c/<corruption>/<severity>/<wnid>/*.JPEG,
# already 224 px. Reports accuracy per corruption/severity, mean accuracy and mCE (DESIGN §2.3). A subset
# list (e.g. RobustBench's 5,000 ids) goes in the dataset's ann_file.
test_dataloader = dict(
    batch_size=64,
    num_workers=8,
    dataset=dict(
        type='ImageNetC',
        data_root='data/imagenet-c',
        pipeline=[
            dict(type='LoadImageFromFile', imdecode_backend='pillow', color_type='color_ignore_orientation'),
            dict(type='PackInputs', meta_keys=('sample_idx', 'img_path', 'corruption', 'severity')),
        ]),
    sampler=dict(type='DefaultSampler', shuffle=False),
)
test_evaluator = dict(type='CorruptionAccuracy')
