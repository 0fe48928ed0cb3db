# configs/mpm/mpm_r18_synthetic.py with PGD-AT and AWP (gamma 5e-3), as configs/mpm/mpm_r50_awp.py at full scale
# (tests, a quick look on the synthetic set).
_base_ = './mpm_r18_synthetic.py'

custom_hooks = [
    dict(type='AttackStepRampHook', warmup_epochs=1),
    dict(type='EMAHook', momentum=0.05, update_buffers=True),
    dict(type='AdversarialWeightPerturbationHook', gamma=5e-3, warmup_epochs=0),
]
