# Two-stage part model R-50 on IN-1K with PIN++ part masks: the anchor the PIN++ paper compares MPM with (the
# "two-stage part-based models" of Sitawarin et al. 2022). A part segmenter — MPM's ResNet-50 (GELU) with its
# multi-scale part head, dense — gives per-pixel part probabilities at 28² (3,309 classes with background); a
# CIFAR-style ResNet-18 (3×3 stem, no max-pool: 28² → 4²) classifies those maps alone. Trained end to end with
# MPM's losses from one pass (classification of the part maps + λ = 1 × the part loss on the same part logits,
# GT + pseudo masks), and the rest of the configs/mpm/mpm_r50.py recipe: PGD-AT through the whole pipeline (ε
# 4/255, 2 steps, step ramped over 2 epochs), 80 epochs, EMA, AMP, PGD-10 validation. The segmenter starts from
# torchvision's ResNet-50 weights. Unlike MPM, the segmenter is part of the deployed model.
#   tools/dist_train.sh configs/two-stage/two-stage_r50.py 8
_base_ = '../mpm/mpm_r50.py'

model = dict(
    type='TwoStagePartClassifier',
    backbone=dict(init_cfg=dict(type='Pretrained', checkpoint='torchvision://ResNet50_Weights.IMAGENET1K_V2')),
    part_head=dict(num_points=None),  # dense: the classifier reads every pixel of the finest map
    part_classifier=dict(type='ResNet_CIFAR', depth=18, in_channels=_base_.num_part_classes, out_indices=(3, )),
    head=dict(in_channels=512),
)
load_from = None
