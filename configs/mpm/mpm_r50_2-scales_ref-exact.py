# PIN++ ablation "two scales" as the reference code runs it (LixiaoTHU/PartImageNetPP,
# train_configs/1k_pp/ablation/resnet50_part_pp_sv2_at.yaml: output_size [[14, 14], [7, 7]], level 2): the bypass on
# stages 3-4, inside the reference recipe of configs/mpm/mpm_r50_ref-exact.py, with the reference's targets: the mask
# sampled straight down to 14² ('nearest', pixel 16i), one-hot with smoothing 0.1, averaged down to 7² (mixup_seg).
# configs/mpm/mpm_r50_2-scales.py keeps instead the targets of the three-scale model (one-hot at 28², averaged down:
# target_upsample=2), so that only the predictions change.
#   tools/dist_train.sh configs/mpm/mpm_r50_2-scales_ref-exact.py 8
_base_ = './mpm_r50_ref-exact.py'

model = dict(part_head=dict(in_channels=[1024, 2048], in_index=[1, 2], target_upsample=1))
