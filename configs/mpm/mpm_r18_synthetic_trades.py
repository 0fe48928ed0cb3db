# configs/mpm/mpm_r18_synthetic.py with TRADES (beta 6, PGD-2 maximising the KL, last iterate) instead of PGD-AT, as
# configs/mpm/mpm_r50_trades.py at full scale (tests, a quick look on the synthetic set).
_base_ = './mpm_r18_synthetic.py'

model = dict(
    attack=dict(_delete_=True, type='PGD', eps=4, steps=2, step_size=4, norm='linf', random_start=True, loss='kl',
                keep='last'),
    robust_loss=dict(type='TRADESLoss', beta=6.0))
