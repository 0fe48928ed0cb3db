# PIN++ ablation, part supervision at two scales: MPM R-50 with the bypass on stages 3-4 (14², 7²: the reference
# head without its 28² branch), between configs/mpm/mpm_r50_1-scale.py and the three scales of
# configs/mpm/mpm_r50.py. Tests what the finest (28²) part map adds. Everything else is the recipe: the targets
# are the three-scale recipe's at 14² and 7² (the mask one-hot at 28², averaged down: target_upsample=2), so only
# the predictions change, the loss at the recipe's 12 and 6 random pixels per image, λ = 1 on the mean of the two
# scales. The PIN++ reference code's ablation samples the mask straight down to 14²: mpm_r50_2-scales_ref-exact.py.
#   tools/dist_train.sh configs/mpm/mpm_r50_2-scales.py 8
_base_ = './mpm_r50.py'

model = dict(part_head=dict(in_channels=[1024, 2048], in_index=[1, 2], num_points=[12, 6], target_upsample=2))
