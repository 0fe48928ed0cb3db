# maml_conv4_1xb320-600e_partimagenet-5way1shot.py for 5-way 5-shot, as cbfinn/maml trains a separate model per
# shot: 4 tasks of 5 x (5 + 15) images (batch 400), validated and tested on 5-shot episodes.
_base_ = './maml_conv4_1xb320-600e_partimagenet-5way1shot.py'

num_shots = 5
model = dict(head=dict(num_shots=num_shots))
train_dataloader = dict(batch_size=4 * 5 * (num_shots + 15), sampler=dict(num_shots=num_shots))
val_cfg = dict(num_shots=(num_shots, ))
test_cfg = dict(num_shots=(num_shots, ))
default_hooks = dict(checkpoint=dict(save_best='fewshot/5way-5shot_accuracy'))
