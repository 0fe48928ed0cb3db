# The PIN++ authors' plain ResNet-50 (GELU) (LixiaoTHU/PartImageNetPP, model/model.py build_model;
# train_configs/1k_pp/resnet50_sgd_at.yaml: PGD-AT, resnet50_sgd_ori.yaml: standard): timm's resnet50 with every
# ReLU replaced by GELU = mmpart's ResNetAct(GELU), the model of configs/baseline/baseline_r50.py. Also the
# plain classifier of their MPM after tools/model_converters/mpm_to_cls.py. Their evaluation: bicubic
# Resize(256) + CenterCrop(224), ImageNet mean/std inside the model (this data_preprocessor), EMA weights.
#   python tools/model_converters/pinpp_to_mmpart.py checkpoint.pth.tar pinpp-authors_r50-gelu.pth
#   python tools/test.py configs/pinpp_authors/pinpp-authors_r50-gelu.py pinpp-authors_r50-gelu.pth --attack autoattack
_base_ = [
    '../_base_/models/resnet50_gelu.py', '../_base_/datasets/imagenet_val_robustbench5k_bicubic.py',
    '../_base_/default_runtime.py'
]
data_preprocessor = dict(num_classes=1000, mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375], to_rgb=True)
test_cfg = dict()
