# DESIGN §4, stage 2 (adversarial): SGD momentum 0.9, wd 1e-4, lr 0.2 per 512 images, linear warm-up from
# 1e-3 over 2 epochs then cosine to 1e-2, both per iteration; 80 epochs. As the PIN++ reference code (timm's
# optimizer factory, opt 'sgd'): Nesterov momentum, no weight decay on norm and bias parameters.
optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.2, momentum=0.9, weight_decay=1e-4, nesterov=True),
    paramwise_cfg=dict(norm_decay_mult=0.0, bias_decay_mult=0.0))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3 / 0.2, by_epoch=True, begin=0, end=2, convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=78, eta_min=1e-2, by_epoch=True, begin=2, end=80,
         convert_to_iter_based=True),
]
train_cfg = dict(by_epoch=True, max_epochs=80, val_interval=1)
val_cfg = dict()
test_cfg = dict()
auto_scale_lr = dict(base_batch_size=512)
