# MPM R-50 (GELU) with PGD-AT and adversarial weight perturbation as the AWP code computes it (csdongxian/AWP,
# AT_AWP/train_cifar10.py, AT_AWP/utils_awp.py), inside the PIN++ reference recipe (configs/mpm/mpm_r50_ref-exact.py:
# the AWP code has no ImageNet recipe). What differs from configs/mpm/mpm_r50_awp.py (table and reasons:
# configs/mpm/README.md, "Differences from the reference code"):
# * γ = 1e-2, the AWP code's PGD-AT setting (5e-3 is its TRADES-AWP setting);
# * the perturbation ascends the plain cross entropy of the classification logits on the adversarial batch
#   (calc_awp: F.cross_entropy(proxy(inputs_adv))), not the whole training loss (label smoothing, part loss);
# * the rest of the PIN++ reference recipe (mpm_r50_ref-exact.py).
# As mpm_r50_awp.py: conv and linear weights perturbed by γ‖w‖ g / ‖g‖ from the first epoch (AT_AWP's
# --awp-warmup 0), BN statistics untouched by the perturbation's forward, weights restored after the step.
#   tools/dist_train.sh configs/mpm/mpm_r50_awp_ref-exact.py 8
_base_ = './mpm_r50_ref-exact.py'

custom_hooks = [
    *_base_.custom_hooks,
    dict(type='AdversarialWeightPerturbationHook', gamma=1e-2, warmup_epochs=0, loss='plain_ce'),
]
