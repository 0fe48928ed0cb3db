# COMPAS (He, Kortylewski, Yuille, arXiv:2101.11878), compositional part sharing, on PartImageNet: the Meta-Baseline
# stage-1 ResNet-12 (meta-baseline_resnet12_1xb128-100e_partimagenet-pretrain.py) meta-trained with a knowledge
# base of 128 part representations (vMF kernels, kappa 30) and 32 part activation maps (5x5 at 84 px) shared
# across classes; each class's compositional prototype codes its support part-activation maps with the map
# dictionary (soft), a learned attention weights the parts per class; + the clustering loss of Compositional
# Networks, plus Meta-Baseline's cosine-to-centroid logit (global_weight=1; see CompositionalPartHead for why).
# Episodes and schedule of Meta-Baseline's stage 2 (5-way 5-shot 15 queries, 200 episodes per epoch, 20
# epochs, SGD lr 0.001): the paper's own schedule could not be checked here (see CompositionalPartHead).
#   python tools/train.py configs/fewshot/compas_resnet12_1xb100-20e_partimagenet-5way5shot.py \
#       --cfg-options model.backbone.init_cfg.checkpoint=work_dirs/<stage 1>/epoch_100.pth
_base_ = './meta-baseline_resnet12_1xb100-20e_partimagenet-5way5shot.py'

model = dict(
    neck=None,  # the head reads the 640x5x5 maps
    head=dict(
        _delete_=True,
        type='CompositionalPartHead',
        in_channels=640, map_size=(5, 5), num_parts=128, num_maps=32,
        part_activation='vmf', kappa=30.0, map_coding='soft', map_temperature=10.0, part_attention=True,
        temperature=10.0, global_weight=1.0, cluster_loss_weight=1.0, dictionary_init='batch',
        num_ways={{_base_.num_ways}}, num_shots={{_base_.num_shots}}, num_queries={{_base_.num_queries}}),
)
