# A 2-class classifier whose weights are set by hand (tests/test_engine/hand_set_classifier.py): a 1x1
# conv (returning a tuple, as mmpretrain necks expect) picks the red channel, global average pooling, a linear head. In pixel space its logit gap is
# linear in the image's mean red value, so every sample's distance to the decision boundary, and with it
# the robust accuracy at each L-inf eps, is known in closed form. Tests set data_root and load weights;
# the repository root must be on PYTHONPATH for the import below.
default_scope = 'mmpart'
custom_imports = dict(imports=['tests.test_engine.hand_set_classifier'], allow_failed_imports=False)
data_root = 'data/hand_set/'
num_classes = 2

model = dict(
    type='ImageClassifier',
    data_preprocessor=dict(type='ClsDataPreprocessor', num_classes=num_classes, mean=[123.675, 116.28, 103.53],
                           std=[58.395, 57.12, 57.375], to_rgb=True),
    backbone=dict(type='TupleConv2d', in_channels=3, out_channels=1, kernel_size=1),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(type='LinearClsHead', num_classes=num_classes, in_channels=1),
)

test_pipeline = [dict(type='LoadImageFromFile'), dict(type='PackInputs')]
val_dataloader = dict(
    batch_size=8, num_workers=0, persistent_workers=False,
    dataset=dict(type='CustomDataset', data_root=data_root, data_prefix='val', pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False))
val_evaluator = dict(type='Accuracy', topk=(1, ))
test_dataloader = val_dataloader
test_evaluator = val_evaluator
val_cfg = dict()
test_cfg = dict()

default_hooks = dict(logger=dict(type='LoggerHook', interval=1))
env_cfg = dict(cudnn_benchmark=False, dist_cfg=dict(backend='gloo'))
randomness = dict(seed=0)
log_level = 'WARNING'
