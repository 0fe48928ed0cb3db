# RobustBench's ImageNet ResNets (robustbench 1.1.1, model_zoo/imagenet.py): normalize_model(torchvision resnet50(),
# mu, sigma), i.e. (x - mu) / sigma on [0, 1] pixels, then torchvision's ResNet-50 (ReLU). Here: mmpretrain's ResNet
# with the same keys (tools/model_converters/robustbench_to_mmpart.py) behind a data preprocessor that normalises
# 0-255 pixels with mu × 255, sigma × 255: the same input up to float32 rounding
# (tests/test_model_converters/test_robustbench.py). Attacks work in pixel space before it, as for every mmpart model.
model = dict(
    type='ImageClassifier',
    backbone=dict(type='ResNet', depth=50, num_stages=4, out_indices=(3, ), style='pytorch'),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(type='LinearClsHead', num_classes=1000, in_channels=2048, topk=(1, 5)),
)
data_preprocessor = dict(
    num_classes=1000,
    mean=[123.675, 116.28, 103.53],  # 255 × (0.485, 0.456, 0.406)
    std=[58.395, 57.12, 57.375],  # 255 × (0.229, 0.224, 0.225)
    to_rgb=True,
)
