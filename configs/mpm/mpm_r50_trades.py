# MPM R-50 (GELU) trained with TRADES (Zhang et al. 2019) instead of PGD-AT, the rest of the recipe unchanged
# (configs/mpm/mpm_r50.py: 80 epochs, EMA, AMP, the attack's step ramped over 2 epochs, PGD-10 validation): loss =
# CE(f(x), y) + beta * KL(f(x) || f(x')), beta = 6, with x' from PGD maximising that KL (L∞, ε 4/255, the recipe's 2
# steps of 4/255 from a uniform random start, last iterate as the reference code); the part loss is computed on x'
# as in PGD-AT.
#   tools/dist_train.sh configs/mpm/mpm_r50_trades.py 8
# The original code's recipe, where it differs from this one: mpm_r50_trades_ref-exact.py (configs/mpm/README.md).
_base_ = './mpm_r50.py'

model = dict(
    attack=dict(_delete_=True, type='PGD', eps=4, steps=2, step_size=4, norm='linf', random_start=True, loss='kl',
                keep='last'),
    robust_loss=dict(type='TRADESLoss', beta=6.0))
