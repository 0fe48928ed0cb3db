# Prototypical Networks (Snell et al. 2017) with Conv-4 on PartImageNet, with their miniImageNet recipe for
# 5-shot: episodic training on 20-way 5-shot episodes with 15 queries per class (batch = 20 x 20 = 400 images;
# their 1-shot recipe trains 30-way 1-shot), Adam lr 1e-3 halved every 2,000 episodes, no data augmentation.
# Logits are minus squared Euclidean distances between the flattened 1,600-d Conv-4 features and the class
# means. 100 episodes per epoch, 200 epochs; validation on 5-way episodes of the val classes.
_base_ = ['../_base_/datasets/partimagenet_fewshot.py', '../_base_/default_runtime.py']

num_ways, num_shots, num_queries = 20, 5, 15

model = dict(
    type='ImageClassifier',
    backbone=dict(type='Conv4', channels=(64, 64, 64, 64), out_indices=(3, )),
    head=dict(type='ProtoNetHead', num_ways=num_ways, num_shots=num_shots, num_queries=num_queries),
)

train_dataloader = dict(
    batch_size=num_ways * (num_shots + num_queries),
    dataset=dict(pipeline={{_base_.test_pipeline}}),
    sampler=dict(_delete_=True, type='EpisodicSampler', num_ways=num_ways, num_shots=num_shots,
                 num_queries=num_queries, num_episodes=100))

optim_wrapper = dict(optimizer=dict(type='Adam', lr=1e-3))
param_scheduler = dict(type='StepLR', by_epoch=False, step_size=2000, gamma=0.5)
train_cfg = dict(by_epoch=True, max_epochs=200, val_interval=10)

default_hooks = dict(checkpoint=dict(interval=10, max_keep_ckpts=2, save_best='fewshot/5way-5shot_accuracy',
                                     rule='greater'))
randomness = dict(seed=0)
