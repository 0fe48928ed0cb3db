# Cue-conflict stimuli (Geirhos et al. 2019; model-vs-human's "cue-conflict" set): data/cue-conflict/<shape>/
# <shape><n>-<texture><m>.png, 1,280 images at 224 px. Shape bias with the 16-class mapping of DESIGN §2.3.
test_dataloader = dict(
    batch_size=64,
    num_workers=8,
    dataset=dict(
        type='CueConflictDataset',
        data_root='data/cue-conflict',
        pipeline=[
            dict(type='LoadImageFromFile', imdecode_backend='pillow', color_type='color_ignore_orientation'),
            dict(type='ResizeEdge', scale=224, edge='short', backend='pillow', interpolation='bilinear'),
            dict(type='CenterCrop', crop_size=224),
            dict(type='PackInputs', meta_keys=('sample_idx', 'img_path', 'texture_label')),
        ]),
    sampler=dict(type='DefaultSampler', shuffle=False),
)
test_evaluator = dict(type='ShapeBias')
