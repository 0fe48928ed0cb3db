# The PIN++ authors' MPM (LixiaoTHU/PartImageNetPP, model/partmodel.py class MPM; train_configs/1k_pp/
# resnet50_part_pp_{init,at}.yaml): their timm ResNet-50 (GELU) with the multi-scale part bypass, 3,311 part classes
# (3,310 parts + background), as MPMClassifier + MPMPartHead, so predict_parts and part pictures work
# (demo/image_demo.py --parts). Evaluation as configs/pinpp_authors/pinpp-authors_r50-gelu.py.
#   python tools/model_converters/pinpp_to_mmpart.py checkpoint.pth.tar pinpp-authors_mpm-r50.pth
#   python tools/test.py configs/pinpp_authors/pinpp-authors_mpm-r50.py pinpp-authors_mpm-r50.pth --attack autoattack
#   python tools/model_converters/mpm_to_cls.py pinpp-authors_mpm-r50.pth mpm-r50_cls.pth    # -> pinpp-authors_r50-gelu.py
_base_ = [
    '../_base_/models/mpm_resnet50_gelu.py', '../_base_/datasets/imagenet_val_robustbench5k_bicubic.py',
    '../_base_/default_runtime.py'
]
model = dict(part_head=dict(num_classes=3311))  # their seg_classes, whatever part_ids.json this machine has
data_preprocessor = dict(num_classes=1000, mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375], to_rgb=True)
test_cfg = dict()
