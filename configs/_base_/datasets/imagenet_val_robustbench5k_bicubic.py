# RobustBench's 5,000 IN-1K val images with the PIN++ authors' evaluation preprocessing (LixiaoTHU/PartImageNetPP,
# eval.py build_transform with input_size 224, crop_pct 0.875): torchvision Resize(int(224 / 0.875) = 256, BICUBIC) +
# CenterCrop(224) of the PIL image, then ToTensor; they normalise inside the model. Their AutoAttack list
# (data/imagenet_test_1k_aa.txt) is RobustBench's 5,000 images. Otherwise as imagenet_val_robustbench5k.py.
_base_ = ['./imagenet_val_robustbench5k.py']
test_dataloader = dict(dataset=dict(pipeline=[
    dict(type='LoadImageFromFile', imdecode_backend='pillow', color_type='color_ignore_orientation'),
    dict(type='ResizeEdge', scale=256, edge='short', backend='pillow', interpolation='bicubic'),
    dict(type='CenterCrop', crop_size=224),
    dict(type='PackInputs'),
]))
