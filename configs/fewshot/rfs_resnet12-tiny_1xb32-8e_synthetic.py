# rfs_resnet12_1xb64-90e_partimagenet.py's evaluation on the synthetic PartImageNet split (`make demo-benchmarks`):
# the tiny classifier of meta-baseline_resnet12-tiny_1xb32-8e_synthetic-pretrain.py (trained there with lr 0.05, as
# RFS's recipe; its checkpoint is the one to test), probed by a logistic regression fitted on each episode's
# L2-normalised support features.
_base_ = './meta-baseline_resnet12-tiny_1xb32-8e_synthetic-pretrain.py'

test_cfg = dict(head=dict(_delete_=True, type='LogisticRegressionHead', C=1.0, max_iter=1000, normalize=True))
