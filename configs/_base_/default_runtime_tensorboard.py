# default_runtime.py with TensorBoard logging next to mmengine's local json logs (needs the `tensorboard`
# package: requirements/optional.txt). Event files go to <work_dir>/<timestamp>/vis_data/:
#   tensorboard --logdir work_dirs/
# Inherit it instead of default_runtime.py, or override any config's visualizer the same way:
#   visualizer = dict(vis_backends=[dict(type='LocalVisBackend'), dict(type='TensorboardVisBackend')])
# Weights & Biases: dict(type='WandbVisBackend', init_kwargs=dict(project='mmpart')) (`pip install wandb`).
_base_ = './default_runtime.py'

vis_backends = [dict(type='LocalVisBackend'), dict(type='TensorboardVisBackend')]
visualizer = dict(type='UniversalVisualizer', vis_backends=vis_backends)
