# RobustBench ImageNet entry Standard_R50: ResNet-50, standard training: torchvision's ResNet-50 weights (IMAGENET1K_V1, resnet50(pretrained=True)).
# RobustBench preprocessing 'Res256Crop224': PIL Resize(256) + CenterCrop(224), [0, 1] pixels normalised inside the model (ImageNet mean/std:
# this config's data_preprocessor); test set: RobustBench's 5,000 IN-1K val images.
#   python tools/model_converters/robustbench_to_mmpart.py Standard_R50.pt robustbench_standard-r50.pth --model Standard_R50
#   python tools/test.py configs/robustbench/robustbench_standard-r50.py robustbench_standard-r50.pth --attack autoattack
_base_ = [
    '../_base_/models/robustbench_resnet50.py', '../_base_/datasets/imagenet_val_robustbench5k.py',
    '../_base_/default_runtime.py'
]
test_cfg = dict()
