# RobustBench ImageNet entry Wong2020Fast: ResNet-50, L∞ (ε 4/255) fast adversarial training (FGSM, random start), Wong et al., ICLR 2020.
# RobustBench preprocessing 'Crop288': CenterCrop(288) of the PIL image, no resize, [0, 1] pixels normalised inside the model (ImageNet mean/std:
# this config's data_preprocessor); test set: RobustBench's 5,000 IN-1K val images.
#   python tools/model_converters/robustbench_to_mmpart.py Wong2020Fast.pt robustbench_wong2020fast.pth --model Wong2020Fast
#   python tools/test.py configs/robustbench/robustbench_wong2020fast.py robustbench_wong2020fast.pth --attack autoattack
_base_ = [
    '../_base_/models/robustbench_resnet50.py', '../_base_/datasets/imagenet_val_robustbench5k_crop288.py',
    '../_base_/default_runtime.py'
]
test_cfg = dict()
