# Meta-Baseline stage 1, the "Classifier-Baseline" (Chen et al. 2021), on PartImageNet's 109 train classes:
# ResNet-12 + global average pooling + a linear classifier, SGD lr 0.1 (momentum 0.9, wd 5e-4), batch 128,
# 100 epochs, lr x0.1 at epoch 90. Validated and tested as Meta-Baseline evaluates its classifier: the
# 640-d features of each 5-way episode, cosine similarity to the class centroids.
#   python tools/train.py configs/fewshot/meta-baseline_resnet12_1xb128-100e_partimagenet-pretrain.py
#   python tools/test.py configs/fewshot/meta-baseline_resnet12_1xb128-100e_partimagenet-pretrain.py CKPT
_base_ = ['../_base_/datasets/partimagenet_fewshot.py', '../_base_/default_runtime.py']

model = dict(
    type='ImageClassifier',
    backbone=dict(type='ResNet12', widths=(64, 160, 320, 640), out_indices=(3, )),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(type='LinearClsHead', num_classes={{_base_.num_train_classes}}, in_channels=640,
              loss=dict(type='CrossEntropyLoss', loss_weight=1.0), topk=(1, )),
)

optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=5e-4))
param_scheduler = dict(type='MultiStepLR', by_epoch=True, milestones=[90], gamma=0.1)
train_cfg = dict(by_epoch=True, max_epochs=100, val_interval=5)
val_cfg = dict(head=dict(type='CosineProtoHead'))
test_cfg = dict(head=dict(type='CosineProtoHead'))

default_hooks = dict(checkpoint=dict(interval=5, max_keep_ckpts=2, save_best='fewshot/5way-1shot_accuracy',
                                     rule='greater'))
randomness = dict(seed=0)
