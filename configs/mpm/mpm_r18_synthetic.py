# Small MPM on the synthetic PIN++ set (tests, `make demo`): configs/baseline/baseline_r18_synthetic.py plus the
# part bypass on stages 2-4 (8², 4², 2² at 64 px). part_head.num_classes = background + parts, from the dataset
# config (its part_ids.json; the synthetic set's default 6 classes have 21 parts: 22).
_base_ = '../baseline/baseline_r18_synthetic.py'

model = dict(
    type='MPMClassifier',
    backbone=dict(out_indices=(1, 2, 3)),
    part_head=dict(
        type='MPMPartHead',
        in_channels=[64, 128, 256],
        channels=128,
        num_classes=_base_.num_part_classes,
        act_cfg=dict(type='GELU'),
        label_smoothing=0.1,
        ignore_blank=True,
        pseudo_weight=1.0,
        loss_decode=dict(type='SoftFocalLoss', gamma=2.0, loss_weight=1.0),
        num_points=[25, 12, 6]))  # the recipe's point-sampled part loss (configs/mpm/mpm_r50.py): 25 of 64, 12 of 16, all 4
