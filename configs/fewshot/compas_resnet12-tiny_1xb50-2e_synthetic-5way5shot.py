# compas_resnet12_1xb100-20e_partimagenet-5way5shot.py scaled down for the synthetic PartImageNet split
# (`make demo-benchmarks`), on the schedule of meta-baseline_resnet12-tiny_1xb50-2e_synthetic-5way5shot.py: the tiny
# stage-1 classifier's 128x3x3 maps (48 px; its checkpoint as model.backbone.init_cfg.checkpoint), 32 parts, 8 maps.
_base_ = './meta-baseline_resnet12-tiny_1xb50-2e_synthetic-5way5shot.py'

model = dict(
    neck=None,
    head=dict(
        _delete_=True,
        type='CompositionalPartHead',
        in_channels=128, map_size=(3, 3), num_parts=32, num_maps=8,
        part_activation='vmf', kappa=30.0, map_coding='soft', map_temperature=10.0, part_attention=True,
        temperature=10.0, global_weight=1.0, cluster_loss_weight=1.0, dictionary_init='batch',
        num_ways={{_base_.num_ways}}, num_shots={{_base_.num_shots}}, num_queries={{_base_.num_queries}}),
)
