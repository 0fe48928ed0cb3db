# Stage 1 of configs/mpm/mpm_r50_ref-exact.py: configs/mpm/mpm_r50_init.py as the PIN++ reference code runs it
# (LixiaoTHU/PartImageNetPP, train_configs/1k_pp/resnet50_part_pp_init.yaml with adv_train.py, warmup: True). What
# differs from mpm_r50_init.py (configs/mpm/README.md, "Differences from the reference code"):
# * the frozen backbone keeps its BatchNorm layers in train mode: they normalise with batch statistics and keep
#   updating their running statistics, only the weights are frozen (the reference sets requires_grad=False on a
#   train-mode model; mmpretrain's frozen_stages puts those layers in eval mode);
# * the part loss is dense and its 28² targets sample the mask with torch's 'nearest' (pixel 8i, not 8i + 4).
# As the default (configs/_base_/schedules): SGD with Nesterov momentum (timm's 'sgd'), no weight decay on norms and
# biases, 1 epoch inside the 2-epoch linear warm-up from 1e-3, AMP, colour jitter 0.1, random erasing 0.25.
#   tools/dist_train.sh configs/mpm/mpm_r50_init_ref-exact.py 8
_base_ = './mpm_r50_init.py'

model = dict(backbone=dict(frozen_norm_eval=False), part_head=dict(num_points=None, mask_resize='nearest'))
