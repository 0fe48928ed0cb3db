# RobustBench's 5,000 IN-1K val images with its 'Crop288' preprocessing (Wong2020Fast): torchvision CenterCrop(288)
# of the PIL image, no resize; an image under 288 px along an edge is zero-padded on both sides first
# (PaddedCenterCrop). Otherwise as configs/_base_/datasets/imagenet_val_robustbench5k.py.
_base_ = ['./imagenet_val_robustbench5k.py']
test_dataloader = dict(dataset=dict(pipeline=[
    dict(type='LoadImageFromFile', imdecode_backend='pillow', color_type='color_ignore_orientation'),
    dict(type='PaddedCenterCrop', crop_size=288),
    dict(type='PackInputs'),
]))
