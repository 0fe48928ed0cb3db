# MPM R-50 (GELU) with PGD-AT and adversarial weight perturbation (AWP, Wu et al. 2020): before each training
# forward the conv and linear weights move by gamma = 5e-3 of their norm in the direction that increases the
# training loss on the adversarial batch, and are restored after the optimizer step
# (AdversarialWeightPerturbationHook; γ as DESIGN §11, the AWP code uses 1e-2 for PGD-AT on CIFAR); the rest of
# the recipe is configs/mpm/mpm_r50.py.
#   tools/dist_train.sh configs/mpm/mpm_r50_awp.py 8
# The original code's recipe, where it differs from this one: mpm_r50_awp_ref-exact.py (configs/mpm/README.md).
_base_ = './mpm_r50.py'

custom_hooks = [
    dict(type='AttackStepRampHook', warmup_epochs=2),
    dict(type='EMAHook', momentum=2e-4, update_buffers=True),
    dict(type='AdversarialWeightPerturbationHook', gamma=5e-3, warmup_epochs=0),
]
