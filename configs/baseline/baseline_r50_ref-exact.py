# The part-free baseline R-50 (GELU), PGD-AT, as the PIN++ reference code trains it (LixiaoTHU/PartImageNetPP,
# train_configs/1k_pp/resnet50_sgd_at.yaml with adv_train.py, adv_utils.py): configs/baseline/baseline_r50.py with
# the changes of configs/mpm/mpm_r50_ref-exact.py (the attack maximises the label-smoothed cross entropy and keeps
# one iterate per batch, by its batch-mean loss; its step is a staircase per epoch; no random erasing), and the
# whole torchvision model as the start: the reference loads resnet50-tv2.pth with its fc, baseline_r50.py starts its
# head at random. Table and reasons: configs/baseline/README.md, "Differences from the reference code".
#   tools/dist_train.sh configs/baseline/baseline_r50_ref-exact.py 8
_base_ = './baseline_r50.py'

model = dict(
    # the checkpoint's fc.weight / fc.bias are the head's keys (its other keys are left out, with a log line)
    head=dict(init_cfg=dict(type='Pretrained', checkpoint='torchvision://ResNet50_Weights.IMAGENET1K_V2')),
    attack=dict(label_smoothing=0.1, keep='batch_loss'))

# colour jitter only (the recipes jitter and erase in the data preprocessor, on the batch)
data_preprocessor = dict(pixel_augments=[dict(type='BatchColorJitter', **_base_.color_jitter)])
custom_hooks = [
    dict(type='AttackStepRampHook', warmup_epochs=2, by_epoch=True),
    dict(type='EMAHook', momentum=2e-4, update_buffers=True),
]
