# MPM R-50 (GELU) with free adversarial training (Shafahi et al. 2019, "Adversarial training for free!"): each
# batch is replayed m = 4 times (MinibatchReplayTrainLoop); every replay trains on clamp(x + δ) and, from the same
# backward pass, steps δ by ε · sign(∇_δ loss) inside the L∞ ball of ε 4/255 (FreePerturbation), δ carried over to
# the next replay and the next batch. No attack pass of its own: a replay costs one clean training step. The rest is
# configs/mpm/mpm_r50.py (part loss on the perturbed batch, AMP, PGD-10 validation), with what counts in batches
# divided by m so that the optimizer takes the recipe's number of steps: 20 epochs, the warm-up and cosine
# schedule over 0.5 and 19.5 epochs, EMA momentum ×4 (EMA updates once per batch, after its m steps); no step ramp.
#   tools/dist_train.sh configs/mpm/mpm_r50_free-at.py 8
# The original code's recipe, where it differs from this one: mpm_r50_free-at_ref-exact.py (configs/mpm/README.md).
_base_ = './mpm_r50.py'

replays = 4  # the paper's m; set max_epochs and the schedule with it
model = dict(attack=dict(_delete_=True, type='FreePerturbation', eps=4, step_size=4))
train_cfg = dict(_delete_=True, type='MinibatchReplayTrainLoop', replays=replays, max_epochs=80 // replays,
                 val_interval=1)
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3 / 0.2, by_epoch=True, begin=0, end=2 / replays,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=78 / replays, eta_min=1e-2, by_epoch=True, begin=2 / replays,
         end=80 // replays, convert_to_iter_based=True),
]
custom_hooks = [dict(type='EMAHook', momentum=2e-4 * replays, update_buffers=True)]
