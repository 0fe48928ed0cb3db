# The part-free baseline R-50 (GELU) trained with TRADES as its official code computes it (yaodongyu/TRADES,
# trades.py), inside the PIN++ reference recipe of configs/baseline/baseline_r50_ref-exact.py: the attack starts at
# x + 0.001 · N(0, 1), no step ramp, the natural term is the plain cross entropy; β = 6, KL attack in eval mode, last
# iterate, 2 steps of 4/255 in the 4/255 ball, as configs/baseline/baseline_r50_trades.py. Table and reasons:
# configs/baseline/README.md, "Differences from the reference code".
#   tools/dist_train.sh configs/baseline/baseline_r50_trades_ref-exact.py 8
_base_ = './baseline_r50_ref-exact.py'

model = dict(
    head=dict(loss=dict(_delete_=True, type='CrossEntropyLoss', loss_weight=1.0)),
    attack=dict(_delete_=True, type='PGD', eps=4, steps=2, step_size=4, norm='linf', random_start=True,
                start_noise='gaussian', start_std=0.001, loss='kl', keep='last'),
    robust_loss=dict(type='TRADESLoss', beta=6.0))
custom_hooks = [dict(type='EMAHook', momentum=2e-4, update_buffers=True)]
