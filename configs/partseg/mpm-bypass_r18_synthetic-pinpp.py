# Scores the part bypass of the synthetic MPM (configs/mpm/mpm_r18_synthetic.py, `make demo`) on the converted synthetic
# PIN++ val split's masks with mmseg's IoUMetric: the model is the MPM config's (inherited, so they cannot drift
# apart), loaded by MPMBypassSegmentor straight from the MPM checkpoint:
#   python tools/test.py configs/partseg/mpm-bypass_r18_synthetic-pinpp.py work_dirs/demo/mpm/epoch_20.pth
_base_ = '../mpm/mpm_r18_synthetic.py'

data_root = 'data/synthetic_pinpp/converted/'
model = dict(
    _delete_=True,
    type='MPMBypassSegmentor',
    data_preprocessor=dict(type='SegDataPreProcessor', _scope_='mmseg', mean={{_base_.data_preprocessor.mean}},
                           std={{_base_.data_preprocessor.std}}, bgr_to_rgb=True, pad_val=0, seg_pad_val=65535),
    backbone={{_base_.model.backbone}},
    decode_head={{_base_.model.part_head}},
    test_cfg=dict(mode='whole'))

test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(73, 73), keep_ratio=True),  # the classifier's test scale, 64 * 8 / 7
    dict(type='LoadPartMask', _scope_='mmpart'),
    dict(type='PackSegInputs'),
]
test_dataloader = dict(
    _delete_=True,
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(type='PINPPSegDataset', _scope_='mmpart', data_root=data_root, ann_file='splits/val.txt', pipeline=test_pipeline))
test_evaluator = dict(_delete_=True, type='IoUMetric', _scope_='mmseg', iou_metrics=['mIoU'], ignore_index=65535)
test_cfg = dict(_delete_=True, type='TestLoop')
# scoring only: none of the classifier's training, validation or hooks. The checkpoint's `part_head.*` keys are
# renamed on loading (MPMBypassSegmentor), which a check of the raw keys against the model cannot see.
train_dataloader = train_cfg = optim_wrapper = param_scheduler = None
val_dataloader = val_cfg = val_evaluator = None
custom_hooks = []
default_hooks = dict(_delete_=True, timer=dict(type='IterTimerHook'), logger=dict(type='LoggerHook', interval=50))
