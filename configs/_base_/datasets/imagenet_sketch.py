# ImageNet-Sketch: data/imagenet-sketch/<wnid>/*.JPEG, the 1000 IN-1K classes.
test_dataloader = dict(
    batch_size=64,
    num_workers=8,
    dataset=dict(
        type='ImageNetSketch',
        data_root='data/imagenet-sketch',
        pipeline=[
            dict(type='LoadImageFromFile', imdecode_backend='pillow', color_type='color_ignore_orientation'),
            dict(type='ResizeEdge', scale=256, edge='short', backend='pillow', interpolation='bilinear'),
            dict(type='CenterCrop', crop_size=224),
            dict(type='PackInputs'),
        ]),
    sampler=dict(type='DefaultSampler', shuffle=False),
)
test_evaluator = dict(type='Accuracy', topk=(1, 5))
