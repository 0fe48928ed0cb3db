# RobustBench ImageNet entry Hendrycks2020AugMix: ResNet-50, AugMix (with the JSD loss), Hendrycks et al., ICLR 2020.
# RobustBench preprocessing 'Res256Crop224': PIL Resize(256) + CenterCrop(224), [0, 1] pixels normalised inside the model (ImageNet mean/std:
# this config's data_preprocessor); test set: RobustBench's 5,000 IN-1K val images.
#   python tools/model_converters/robustbench_to_mmpart.py Hendrycks2020AugMix.pt robustbench_hendrycks2020augmix.pth --model Hendrycks2020AugMix
#   python tools/test.py configs/robustbench/robustbench_hendrycks2020augmix.py robustbench_hendrycks2020augmix.pth --attack autoattack
_base_ = [
    '../_base_/models/robustbench_resnet50.py', '../_base_/datasets/imagenet_val_robustbench5k.py',
    '../_base_/default_runtime.py'
]
test_cfg = dict()
