# The two-stage part model on the synthetic PIN++ set (tests, a quick look): configs/mpm/mpm_r18_synthetic.py's
# ResNet-18 and part head as the segmenter (part maps at 8² for 64-px images, 22 classes), a small CIFAR-style
# ResNet-18 classifying the maps, PGD-AT through both stages, as configs/two-stage/two-stage_r50.py at full scale.
_base_ = '../mpm/mpm_r18_synthetic.py'

model = dict(
    type='TwoStagePartClassifier',
    part_head=dict(num_points=None),
    part_classifier=dict(type='ResNet_CIFAR', depth=18, stem_channels=32, base_channels=32,
                         in_channels=_base_.num_part_classes, out_indices=(3, )),
    head=dict(in_channels=256),
)
