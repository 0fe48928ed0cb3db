# The pretrain-then-probe baseline, RFS (Tian et al. 2020): ResNet-12 trained as a plain 109-way classifier
# with RFS's recipe (SGD lr 0.05, momentum 0.9, wd 5e-4, batch 64, 90 epochs, lr x0.1 at 60, 70 and 80), then
# frozen; every test episode fits a logistic regression on the L2-normalised support features
# (LogisticRegressionHead). Validation uses the cheaper cosine-centroid head.
_base_ = './meta-baseline_resnet12_1xb128-100e_partimagenet-pretrain.py'

train_dataloader = dict(batch_size=64)
optim_wrapper = dict(optimizer=dict(lr=0.05))
param_scheduler = dict(milestones=[60, 70, 80])
train_cfg = dict(max_epochs=90)
test_cfg = dict(head=dict(_delete_=True, type='LogisticRegressionHead', C=1.0, max_iter=1000, normalize=True))
