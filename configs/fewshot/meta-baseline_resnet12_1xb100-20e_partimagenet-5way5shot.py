# Meta-Baseline stage 2 (Chen et al. 2021): episodic fine-tuning of the stage-1 ResNet-12 with cosine
# similarity to class centroids and a learnable temperature (initialised at 10): 5-way 5-shot episodes with 15
# queries per class (batch = 5 x (5 + 15) = 100 images), 200 episodes per epoch, 20 epochs, SGD lr 0.001
# (momentum 0.9, wd 5e-4). The backbone starts from the stage-1 checkpoint (its `backbone.*` keys):
#   python tools/train.py configs/fewshot/meta-baseline_resnet12_1xb100-20e_partimagenet-5way5shot.py \
#       --cfg-options model.backbone.init_cfg.checkpoint=work_dirs/<stage 1>/best_fewshot_5way-1shot_accuracy_epoch_N.pth
_base_ = ['../_base_/datasets/partimagenet_fewshot.py', '../_base_/default_runtime.py']

num_ways, num_shots, num_queries = 5, 5, 15
pretrained = 'work_dirs/meta-baseline_resnet12_1xb128-100e_partimagenet-pretrain/epoch_100.pth'

model = dict(
    type='ImageClassifier',
    backbone=dict(type='ResNet12', widths=(64, 160, 320, 640), out_indices=(3, ),
                  init_cfg=dict(type='Pretrained', checkpoint=pretrained, prefix='backbone.')),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(type='CosineProtoHead', temperature=10.0, learnable_temperature=True, num_ways=num_ways,
              num_shots=num_shots, num_queries=num_queries),
)

# one episode per batch, support first then queries (EpisodicSampler's layout, which the head checks)
train_dataloader = dict(
    batch_size=num_ways * (num_shots + num_queries),
    sampler=dict(_delete_=True, type='EpisodicSampler', num_ways=num_ways, num_shots=num_shots,
                 num_queries=num_queries, num_episodes=200))

optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.001, momentum=0.9, weight_decay=5e-4))
train_cfg = dict(by_epoch=True, max_epochs=20, val_interval=1)

default_hooks = dict(checkpoint=dict(interval=1, max_keep_ckpts=2, save_best='fewshot/5way-5shot_accuracy',
                                     rule='greater'))
randomness = dict(seed=0)
