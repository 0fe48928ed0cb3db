# DeepLabv3 R-50-D8 on PIN++ parts, DESIGN §6: 512x512 crops, 40k iterations, SGD lr 0.01. Ignore index 65535
# (uint16 masks) in the padding and both heads; num_classes from the dataset config (part_ids.json).
# Both heads: loss at 8,192 random pixels per crop (PointLoss*Head, see the FPN config), 4 crops per GPU.
_base_ = [
    'mmseg::_base_/models/deeplabv3_r50-d8.py', '../_base_/datasets/pinpp_seg.py',
    'mmseg::_base_/default_runtime.py', 'mmseg::_base_/schedules/schedule_40k.py'
]
default_scope = 'mmpart'
crop_size = (512, 512)
model = dict(
    data_preprocessor=dict(size=crop_size, seg_pad_val=65535),
    decode_head=dict(num_classes=_base_.num_classes, ignore_index=65535,
                     type='PointLossASPPHead', _scope_='mmpart', num_points=8192),
    auxiliary_head=dict(num_classes=_base_.num_classes, ignore_index=65535,
                        type='PointLossFCNHead', _scope_='mmpart', num_points=8192))
