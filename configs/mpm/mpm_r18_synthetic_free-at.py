# configs/mpm/mpm_r18_synthetic.py with free AT (each batch replayed m = 4 times, δ stepped by ε · sign of the
# training gradient, carried over), as configs/mpm/mpm_r50_free-at.py at full scale: 20 / m epochs, the EMA scaled
# the same way, no step ramp; the warm-up stays one epoch (of batches: a quarter of one would round to no
# iteration in the tests' tiny runs) (tests, a quick look on the synthetic set).
_base_ = './mpm_r18_synthetic.py'

replays = 4
model = dict(attack=dict(_delete_=True, type='FreePerturbation', eps=4, step_size=4))
train_cfg = dict(_delete_=True, type='MinibatchReplayTrainLoop', replays=replays, max_epochs=20 // replays,
                 val_interval=20 // replays)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.02, by_epoch=True, begin=0, end=1, convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=20 // replays - 1, eta_min=1e-3, by_epoch=True, begin=1, end=20 // replays,
         convert_to_iter_based=True),
]
custom_hooks = [dict(type='EMAHook', momentum=0.05 * replays, update_buffers=True)]
