# RobustBench ImageNet entry Salman2020Do_50_2: ResNet-50, wide (WRN-50-2), L∞ (ε 4/255) PGD adversarial training, Salman et al., NeurIPS 2020.
# RobustBench preprocessing 'Res256Crop224': PIL Resize(256) + CenterCrop(224), [0, 1] pixels normalised inside the model (ImageNet mean/std:
# this config's data_preprocessor); test set: RobustBench's 5,000 IN-1K val images.
#   python tools/model_converters/robustbench_to_mmpart.py Salman2020Do_50_2.pt robustbench_salman2020do-50-2.pth --model Salman2020Do_50_2
#   python tools/test.py configs/robustbench/robustbench_salman2020do-50-2.py robustbench_salman2020do-50-2.pth --attack autoattack
_base_ = [
    '../_base_/models/robustbench_resnet50.py', '../_base_/datasets/imagenet_val_robustbench5k.py',
    '../_base_/default_runtime.py'
]
test_cfg = dict()
# torchvision's wide_resnet50_2 (width_per_group 128): mmpretrain's ResNet with 128 base channels, expansion 2
model = dict(backbone=dict(base_channels=128, expansion=2))
