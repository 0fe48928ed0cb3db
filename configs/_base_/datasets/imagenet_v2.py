# ImageNet-V2 (matched frequency): data/imagenetv2-matched-frequency/<0..999>/*.jpeg; label = int(folder).
test_dataloader = dict(
    batch_size=64,
    num_workers=8,
    dataset=dict(
        type='ImageNetV2',
        data_root='data/imagenetv2-matched-frequency',
        pipeline=[
            dict(type='LoadImageFromFile', imdecode_backend='pillow', color_type='color_ignore_orientation'),
            dict(type='ResizeEdge', scale=256, edge='short', backend='pillow', interpolation='bilinear'),
            dict(type='CenterCrop', crop_size=224),
            dict(type='PackInputs'),
        ]),
    sampler=dict(type='DefaultSampler', shuffle=False),
)
test_evaluator = dict(type='Accuracy', topk=(1, 5))
