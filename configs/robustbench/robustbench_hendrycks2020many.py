# RobustBench ImageNet entry Hendrycks2020Many: ResNet-50, DeepAugment + AugMix, Hendrycks et al., ICCV 2021 ("The Many Faces of Robustness").
# RobustBench preprocessing 'Res256Crop224': PIL Resize(256) + CenterCrop(224), [0, 1] pixels normalised inside the model (ImageNet mean/std:
# this config's data_preprocessor); test set: RobustBench's 5,000 IN-1K val images.
#   python tools/model_converters/robustbench_to_mmpart.py Hendrycks2020Many.pt robustbench_hendrycks2020many.pth --model Hendrycks2020Many
#   python tools/test.py configs/robustbench/robustbench_hendrycks2020many.py robustbench_hendrycks2020many.pth --attack autoattack
_base_ = [
    '../_base_/models/robustbench_resnet50.py', '../_base_/datasets/imagenet_val_robustbench5k.py',
    '../_base_/default_runtime.py'
]
test_cfg = dict()
