# DeepLabv3 R-101-D8 on PIN++ parts (background + parts of part_ids.json).
_base_ = './deeplabv3_r50-d8_4xb4-40k_pinpp-512x512.py'
model = dict(pretrained='open-mmlab://resnet101_v1c', backbone=dict(depth=101))
