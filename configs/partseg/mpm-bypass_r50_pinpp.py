# Scores the part bypass of a trained MPM ResNet-50 (configs/mpm/mpm_r50.py) on the PIN++ val masks with mmseg's
# IoUMetric, without converting the checkpoint: MPMBypassSegmentor loads the MPM's `backbone.*` and `part_head.*`.
#   python tools/test.py configs/partseg/mpm-bypass_r50_pinpp.py work_dirs/mpm_r50/epoch_80.pth
# The model is the MPM's (same base config), the normalisation its data preprocessor's; images are resized to a
# short side of 256 (MPM trains on 224 crops) and the prediction of the finest bypass scale (stride 8) is
# upsampled to the image; mIoU is over background + 3,308 parts (ignore index 65535).
_base_ = ['../_base_/models/mpm_resnet50_gelu.py', '../_base_/datasets/pinpp_seg.py', 'mmseg::_base_/default_runtime.py']
default_scope = 'mmpart'

model = dict(
    _delete_=True,
    type='MPMBypassSegmentor',
    data_preprocessor=dict(type='SegDataPreProcessor', _scope_='mmseg', mean=[123.675, 116.28, 103.53],
                           std=[58.395, 57.12, 57.375], bgr_to_rgb=True, pad_val=0, seg_pad_val=65535),
    backbone={{_base_.model.backbone}},
    decode_head={{_base_.model.part_head}},
    test_cfg=dict(mode='whole'))

test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(2048, 256), keep_ratio=True),
    dict(type='LoadPartMask', _scope_='mmpart'),
    dict(type='PackSegInputs'),
]
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_cfg = dict(type='TestLoop')
# scoring only
train_dataloader = val_dataloader = val_evaluator = None
