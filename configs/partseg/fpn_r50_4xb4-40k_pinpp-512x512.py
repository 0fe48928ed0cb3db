# Semantic FPN R-50 on PIN++ parts (background + ~3,310 parts), DESIGN §6: 512x512 crops, 40k iterations,
# SGD lr 0.01 momentum 0.9 with poly decay. ~3,311-way logits at full resolution take 3.5 GB per crop
# (float32), so the loss is evaluated at 8,192 random pixels per crop (PointLossFPNHead, an unbiased
# estimate of mmseg's loss) and 4 crops per GPU fit. Ignore index 65535 (uint16 masks). num_classes comes
# from the dataset config (the converter's part_ids.json, see configs/_base_/datasets/pinpp_seg.py).
_base_ = [
    'mmseg::_base_/models/fpn_r50.py', '../_base_/datasets/pinpp_seg.py',
    'mmseg::_base_/default_runtime.py', 'mmseg::_base_/schedules/schedule_40k.py'
]
default_scope = 'mmpart'
crop_size = (512, 512)
model = dict(
    data_preprocessor=dict(size=crop_size, seg_pad_val=65535),
    decode_head=dict(num_classes=_base_.num_classes, ignore_index=65535,
                     type='PointLossFPNHead', _scope_='mmpart', num_points=8192))
