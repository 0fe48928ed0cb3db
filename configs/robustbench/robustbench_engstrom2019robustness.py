# RobustBench ImageNet entry Engstrom2019Robustness: ResNet-50, L∞ (ε 4/255) PGD adversarial training, the robustness library (Engstrom et al. 2019).
# RobustBench preprocessing 'Res256Crop224': PIL Resize(256) + CenterCrop(224), [0, 1] pixels normalised inside the model (ImageNet mean/std:
# this config's data_preprocessor); test set: RobustBench's 5,000 IN-1K val images.
#   python tools/model_converters/robustbench_to_mmpart.py Engstrom2019Robustness.pt robustbench_engstrom2019robustness.pth --model Engstrom2019Robustness
#   python tools/test.py configs/robustbench/robustbench_engstrom2019robustness.py robustbench_engstrom2019robustness.pth --attack autoattack
_base_ = [
    '../_base_/models/robustbench_resnet50.py', '../_base_/datasets/imagenet_val_robustbench5k.py',
    '../_base_/default_runtime.py'
]
test_cfg = dict()
