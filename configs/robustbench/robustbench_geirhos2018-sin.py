# RobustBench ImageNet entry Geirhos2018_SIN: ResNet-50, trained on Stylized-ImageNet (model A), Geirhos et al., ICLR 2019.
# RobustBench preprocessing 'Res256Crop224': PIL Resize(256) + CenterCrop(224), [0, 1] pixels normalised inside the model (ImageNet mean/std:
# this config's data_preprocessor); test set: RobustBench's 5,000 IN-1K val images.
#   python tools/model_converters/robustbench_to_mmpart.py Geirhos2018_SIN.pt robustbench_geirhos2018-sin.pth --model Geirhos2018_SIN
#   python tools/test.py configs/robustbench/robustbench_geirhos2018-sin.py robustbench_geirhos2018-sin.pth --attack autoattack
_base_ = [
    '../_base_/models/robustbench_resnet50.py', '../_base_/datasets/imagenet_val_robustbench5k.py',
    '../_base_/default_runtime.py'
]
test_cfg = dict()
