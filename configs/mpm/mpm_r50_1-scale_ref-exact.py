# PIN++ ablation "one scale" as the reference code runs it (LixiaoTHU/PartImageNetPP,
# train_configs/1k_pp/ablation/resnet50_part_pp_sv1_at.yaml: output_size [[7, 7]], level 1): the bypass on stage 4
# only, inside the reference recipe of configs/mpm/mpm_r50_ref-exact.py, with the reference's 7² targets: the mask
# sampled straight down to 7² ('nearest', pixel 32i), one-hot with smoothing 0.1 (data/timm_local/mixup.py,
# mixup_seg). configs/mpm/mpm_r50_1-scale.py keeps instead the 7² targets of the three-scale model (the mask one-hot
# at 28², averaged down: target_upsample=4), so that only the predictions change.
#   tools/dist_train.sh configs/mpm/mpm_r50_1-scale_ref-exact.py 8
_base_ = './mpm_r50_ref-exact.py'

model = dict(part_head=dict(in_channels=[2048], in_index=[2], target_upsample=1))
