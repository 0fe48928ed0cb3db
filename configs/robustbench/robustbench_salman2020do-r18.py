# RobustBench ImageNet entry Salman2020Do_R18: ResNet-18, L∞ (ε 4/255) PGD adversarial training, Salman et al., NeurIPS 2020.
# RobustBench preprocessing 'Res256Crop224': PIL Resize(256) + CenterCrop(224), [0, 1] pixels normalised inside the model (ImageNet mean/std:
# this config's data_preprocessor); test set: RobustBench's 5,000 IN-1K val images.
#   python tools/model_converters/robustbench_to_mmpart.py Salman2020Do_R18.pt robustbench_salman2020do-r18.pth --model Salman2020Do_R18
#   python tools/test.py configs/robustbench/robustbench_salman2020do-r18.py robustbench_salman2020do-r18.pth --attack autoattack
_base_ = [
    '../_base_/models/robustbench_resnet50.py', '../_base_/datasets/imagenet_val_robustbench5k.py',
    '../_base_/default_runtime.py'
]
test_cfg = dict()
model = dict(backbone=dict(depth=18), head=dict(in_channels=512))
