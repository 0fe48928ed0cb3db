# IN-1K val restricted to the RobustBench 5,000-image list, the standard AutoAttack subset (DESIGN §2.3):
#   tools/test.py CONFIG CKPT --test-set configs/_base_/datasets/imagenet_val_robustbench5k.py --attack autoattack
# The list is robustbench/data/imagenet_test_image_ids.txt of the RobustBench repository (lines
# '<wnid>/<file>'); put it at data/imagenet/meta/robustbench_5000.txt. Without ann_file: the full val set.
# Preprocessing is RobustBench's (torchvision Resize(256) + CenterCrop(224) on PIL images): Pillow decoding that
# ignores EXIF orientation and Pillow's bilinear resize, which antialiases when shrinking (cv2's does not, and
# moves accuracies by a few tenths of a point). tests/test_configs/test_eval_preprocessing.py checks it pixel for
# pixel against torchvision; every IN-1K evaluation config uses the same steps.
test_dataloader = dict(
    batch_size=64,
    num_workers=8,
    dataset=dict(
        type='WnidFolderDataset',
        data_root='data/imagenet/val',
        ann_file='../meta/robustbench_5000.txt',
        pipeline=[
            dict(type='LoadImageFromFile', imdecode_backend='pillow', color_type='color_ignore_orientation'),
            dict(type='ResizeEdge', scale=256, edge='short', backend='pillow', interpolation='bilinear'),
            dict(type='CenterCrop', crop_size=224),
            dict(type='PackInputs'),
        ]),
    sampler=dict(type='DefaultSampler', shuffle=False),
)
test_evaluator = dict(type='Accuracy', topk=(1, 5))
