# ImageNet-C generated on the fly from IN-1K val with `imagecorruptions`, as the release was made:
# Resize 256 -> CenterCrop 224 -> corrupt -> JPEG quality 85. 15 corruptions x 5 severities x 50,000 images.
# The release resized PIL images with torchvision (bilinear, antialiased): Pillow decoding and resizing here too.
test_dataloader = dict(
    batch_size=64,
    num_workers=8,
    dataset=dict(
        type='ImageNetCOnTheFly',
        data_root='data/imagenet/val',
        pipeline=[
            dict(type='LoadImageFromFile', imdecode_backend='pillow', color_type='color_ignore_orientation'),
            dict(type='ResizeEdge', scale=256, edge='short', backend='pillow', interpolation='bilinear'),
            dict(type='CenterCrop', crop_size=224),
            dict(type='ImageNetCCorrupt', jpeg_quality=85),
            dict(type='PackInputs', meta_keys=('sample_idx', 'img_path', 'corruption', 'severity')),
        ]),
    sampler=dict(type='DefaultSampler', shuffle=False),
)
test_evaluator = dict(type='CorruptionAccuracy')
