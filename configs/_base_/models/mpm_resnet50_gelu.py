# MPM (DESIGN §3): the ResNet-50-GELU classifier plus the multi-scale part bypass on stages 2-4
# (28², 14², 7² at 224 px). part_head.num_classes = parts + 1 from the dataset's part_ids.json: the MPM configs
# set it to the dataset config's num_part_classes (PIN++: 3,310 parts + background in the authors' code, 3,308 in
# the paper). Inference runs the classification path only.
_base_ = ['./resnet50_gelu.py']
model = dict(
    type='MPMClassifier',
    backbone=dict(out_indices=(1, 2, 3)),
    part_head=dict(
        type='MPMPartHead',
        in_channels=[512, 1024, 2048],
        channels=512,  # projections 2048→512, 1024→256, 512→128
        num_classes=3311,
        act_cfg=dict(type='GELU'),
        norm_cfg=dict(type='BN', requires_grad=True),
        label_smoothing=0.1,
        ignore_blank=True,
        pseudo_weight=1.0,
        loss_decode=dict(type='SoftFocalLoss', gamma=2.0, loss_weight=1.0)),  # loss_weight = λ
)
