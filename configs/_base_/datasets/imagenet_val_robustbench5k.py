# IN-1K val restricted to the RobustBench 5,000-image list, the standard AutoAttack subset (DESIGN §2.3):
#   tools/test.py CONFIG CKPT --test-set configs/_base_/datasets/imagenet_val_robustbench5k.py --attack autoattack
# The list ships with mmpart: robustbench/imagenet_test_image_ids.txt next to this file, a verbatim copy of
# robustbench/helper_files/imagenet_test_image_ids.txt from the robustbench 1.1.1 wheel (MIT; provenance and how to
# check it in robustbench/NOTICE.md). Lines '<wnid>/ILSVRC2012_val_<n>.JPEG' under data/imagenet/val (997 classes).
# Without ann_file: the full val set.
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
        ann_file='{{ fileDirname }}/robustbench/imagenet_test_image_ids.txt',
        pipeline=[
            dict(type='LoadImageFromFile', imdecode_backend='pillow', color_type='color_ignore_orientation'),
            dict(type='ResizeEdge', scale=256, edge='short', backend='pillow', interpolation='bilinear'),
            dict(type='CenterCrop', crop_size=224),
            dict(type='PackInputs'),
        ]),
    sampler=dict(type='DefaultSampler', shuffle=False),
)
test_evaluator = dict(type='Accuracy', topk=(1, 5))
