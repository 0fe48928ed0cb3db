# PIN++ ablation, part supervision at one scale: MPM R-50 with the bypass on stage 4 only (7², the reference head's
# coarsest branch: projection 2048→512, prediction), against the three scales of configs/mpm/mpm_r50.py. Tests
# whether the finer part maps (28², 14²) add robustness beyond a coarse part layout. Everything else is the recipe:
# the 7² targets are those of the three-scale recipe (the mask one-hot at 28², averaged down: target_upsample=4), so
# only the predictions change, the loss at 6 random pixels per image as the recipe's 7² term, λ = 1 on the one scale.
# The PIN++ reference code's ablation samples the mask straight down to 7² instead: mpm_r50_1-scale_ref-exact.py.
#   tools/dist_train.sh configs/mpm/mpm_r50_1-scale.py 8
_base_ = './mpm_r50.py'

model = dict(part_head=dict(in_channels=[2048], in_index=[2], num_points=[6], target_upsample=4))
