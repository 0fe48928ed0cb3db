# configs/mpm/mpm_r18_synthetic.py with fast AT (one FGSM step of 1.25 eps from a random start, no ramp), as
# configs/mpm/mpm_r50_fast-at.py at full scale (tests, a quick look on the synthetic set).
_base_ = './mpm_r18_synthetic.py'

model = dict(attack=dict(_delete_=True, type='PGD', eps=4, steps=1, step_size=5, norm='linf', random_start=True,
                         keep='last'))
custom_hooks = [dict(type='EMAHook', momentum=0.05, update_buffers=True)]
