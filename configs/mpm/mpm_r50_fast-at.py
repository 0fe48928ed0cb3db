# MPM R-50 (GELU) with fast adversarial training (Wong et al. 2020, "Fast is better than free"): one FGSM step of
# 1.25 ε from a uniform random start in the ε ball (L∞, ε 4/255, step 5/255), the stepped point kept, no step ramp;
# the rest of the recipe is configs/mpm/mpm_r50.py (Wong et al. trained 15 epochs with a cyclic learning rate and
# progressive resizing; here only the attack changes, so the comparison isolates it). One forward-backward per
# attack instead of PGD-2's three passes.
#   tools/dist_train.sh configs/mpm/mpm_r50_fast-at.py 8
# The original code's recipe, where it differs from this one: mpm_r50_fast-at_ref-exact.py (configs/mpm/README.md).
_base_ = './mpm_r50.py'

model = dict(attack=dict(_delete_=True, type='PGD', eps=4, steps=1, step_size=5, norm='linf', random_start=True,
                         keep='last'))
custom_hooks = [dict(type='EMAHook', momentum=2e-4, update_buffers=True)]
