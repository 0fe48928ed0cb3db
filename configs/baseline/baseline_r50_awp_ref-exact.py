# The part-free baseline R-50 (GELU) with PGD-AT and adversarial weight perturbation as the AWP code computes it
# (csdongxian/AWP, AT_AWP/train_cifar10.py, AT_AWP/utils_awp.py), inside the PIN++ reference recipe of
# configs/baseline/baseline_r50_ref-exact.py: γ = 1e-2 (the AWP code's PGD-AT setting; 5e-3 is its TRADES-AWP one),
# the perturbation along the plain cross entropy on the adversarial batch (not the label-smoothed training loss).
# Table and reasons: configs/baseline/README.md, "Differences from the reference code".
#   tools/dist_train.sh configs/baseline/baseline_r50_awp_ref-exact.py 8
_base_ = './baseline_r50_ref-exact.py'

custom_hooks = [
    *_base_.custom_hooks,
    dict(type='AdversarialWeightPerturbationHook', gamma=1e-2, warmup_epochs=0, loss='plain_ce'),
]
