# Scores the part bypass of the part-aware few-shot pre-training
# (configs/fewshot/mpm-meta-baseline_resnet12_1xb128-100e_partimagenet-pretrain.py, trained on the OOD release's
# train classes) on the PartImageNet Seg release's val masks with mmseg's IoUMetric (41 classes, background first as
# the bypass predicts them):
#   python tools/test.py configs/partseg/mpm-bypass_resnet12_partimagenet.py work_dirs/<run>/epoch_100.pth
# Model and normalisation are those of the few-shot config; images are resized to 84x84 as in its training.
_base_ = ['../_base_/datasets/partimagenet_seg_background-first.py', 'mmseg::_base_/default_runtime.py']
default_scope = 'mmpart'

model = dict(
    type='MPMBypassSegmentor',
    data_preprocessor=dict(type='SegDataPreProcessor', _scope_='mmseg', mean=[123.675, 116.28, 103.53],
                           std=[58.395, 57.12, 57.375], bgr_to_rgb=True, pad_val=0, seg_pad_val=255),
    backbone=dict(type='ResNet12', widths=(64, 160, 320, 640), out_indices=(1, 2, 3)),
    decode_head=dict(type='MPMPartHead', in_channels=[160, 320, 640], channels=320, num_classes=41, ignore_index=255,
                     act_cfg=dict(type='GELU')),
    test_cfg=dict(mode='whole'))

test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(84, 84), keep_ratio=False),
    dict(type='LoadAnnotations'),
    dict(type='PackSegInputs'),
]
test_dataloader = dict(dataset=dict(data_prefix=dict(img_path='images/val', seg_map_path='annotations/val'),
                                    pipeline=test_pipeline))
test_cfg = dict(type='TestLoop')
# scoring only
train_dataloader = val_dataloader = val_evaluator = None
