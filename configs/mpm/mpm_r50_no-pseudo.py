# PIN++ ablation, no pseudo labels: MPM R-50 with part supervision from the PIN++ annotations only (100 images per
# class); the other IN-1K train images still train the classifier, without a part mask (part-loss weight 0), against
# configs/mpm/mpm_r50.py, which adds the pseudo part labels of data/pinpp_pseudo. Tests what the pseudo labels of
# the unannotated images contribute.
#   tools/dist_train.sh configs/mpm/mpm_r50_no-pseudo.py 8
_base_ = './mpm_r50.py'

train_dataloader = dict(dataset=dict(extra_mask_roots=[]))
