# ImageNet-A: data/imagenet-a/<wnid>/*.jpg, 200 IN-1K classes; the 1000-way scores are sliced to the official
# 200 indices before the argmax (mmpart/datasets/robustness/imagenet_meta.py).
test_dataloader = dict(
    batch_size=64,
    num_workers=8,
    dataset=dict(
        type='ImageNetA',
        data_root='data/imagenet-a',
        pipeline=[
            dict(type='LoadImageFromFile', imdecode_backend='pillow', color_type='color_ignore_orientation'),
            dict(type='ResizeEdge', scale=256, edge='short', backend='pillow', interpolation='bilinear'),
            dict(type='CenterCrop', crop_size=224),
            dict(type='PackInputs'),
        ]),
    sampler=dict(type='DefaultSampler', shuffle=False),
)
test_evaluator = dict(type='SubsetAccuracy')
