# Corruption robustness on the synthetic PIN++ val split (`make demo`): configs/_base_/datasets/imagenet_c_onthefly.py
# scaled down by config (64-px images, 5 of the 15 corruptions, all 5 severities).
_base_ = './imagenet_c_onthefly.py'

test_dataloader = dict(
    batch_size=32,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(
        data_root='data/synthetic_pinpp/imagenet/val',
        classes=('n90000000', 'n90000001', 'n90000002', 'n90000003', 'n90000004', 'n90000005'),
        corruptions=('gaussian_noise', 'defocus_blur', 'contrast', 'fog', 'jpeg_compression'),
        severities=(1, 2, 3, 4, 5),
        pipeline=[
            dict(type='LoadImageFromFile', imdecode_backend='pillow', color_type='color_ignore_orientation'),
            dict(type='ResizeEdge', scale=73, edge='short', backend='pillow', interpolation='bilinear'),
            dict(type='CenterCrop', crop_size=64),
            dict(type='ImageNetCCorrupt', jpeg_quality=85),
            dict(type='PackInputs', meta_keys=('sample_idx', 'img_path', 'corruption', 'severity')),
        ]))
