# meta-baseline_resnet12_1xb128-100e_partimagenet-pretrain.py scaled down for the synthetic PartImageNet split
# (tests, `make demo-benchmarks`): a narrow ResNet-12 (16-32-64-128) on 48 px images of 12 train classes,
# 8 epochs; 5-way 1-/5-shot meta-tests on the 5 test classes (300 episodes). Make the data with
#   python tools/dataset_converters/make_synthetic_partimagenet.py data/synthetic_partimagenet --image-size 48 \
#       --images-per-class 24
_base_ = './meta-baseline_resnet12_1xb128-100e_partimagenet-pretrain.py'

data_root = 'data/synthetic_partimagenet/'
image_size = 48
num_train_classes = 12
widths = (16, 32, 64, 128)

data_preprocessor = dict(num_classes=num_train_classes)
model = dict(backbone=dict(widths=widths), head=dict(num_classes=num_train_classes, in_channels=widths[-1]))

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='JointRandomResizedCrop', scale=image_size, crop_ratio_range=(0.35, 1.0), backend='pillow',
         interpolation='bicubic'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackPartInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(image_size, image_size), backend='pillow', interpolation='bicubic'),
    dict(type='PackPartInputs'),
]
train_dataloader = dict(batch_size=32, num_workers=2,
                        dataset=dict(data_root=data_root, pipeline=train_pipeline))
val_dataloader = dict(batch_size=64, num_workers=2, dataset=dict(data_root=data_root, pipeline=test_pipeline))
test_dataloader = dict(batch_size=64, num_workers=2, dataset=dict(data_root=data_root, pipeline=test_pipeline))

optim_wrapper = dict(optimizer=dict(lr=0.05))
param_scheduler = dict(milestones=[6])
train_cfg = dict(max_epochs=8, val_interval=4)
val_cfg = dict(num_episodes=100)
test_cfg = dict(num_episodes=300)
default_hooks = dict(logger=dict(interval=5), checkpoint=dict(interval=4))
