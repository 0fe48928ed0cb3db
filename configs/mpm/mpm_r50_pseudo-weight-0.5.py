# PIN++ ablation, pseudo-label weight 0.5: MPM R-50 whose part loss weighs images with pseudo part labels (from the
# Mask R-CNN, tools/pseudo_label.py) half as much as images with PIN++ annotations, against weight 1.0 in
# configs/mpm/mpm_r50.py (DESIGN §3). Tests whether the noisier pseudo labels should count less.
#   tools/dist_train.sh configs/mpm/mpm_r50_pseudo-weight-0.5.py 8
_base_ = './mpm_r50.py'

model = dict(part_head=dict(pseudo_weight=0.5))
