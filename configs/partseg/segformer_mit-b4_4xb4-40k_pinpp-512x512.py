# SegFormer MiT-B4 on PIN++ parts (background + parts of part_ids.json): the B2 recipe with B4's depths.
_base_ = './segformer_mit-b2_4xb4-40k_pinpp-512x512.py'
checkpoint = 'https://download.openmmlab.com/mmsegmentation/v0.5/pretrain/segformer/mit_b4_20220624-d588d980.pth'  # noqa
model = dict(backbone=dict(init_cfg=dict(checkpoint=checkpoint), num_layers=[3, 8, 27, 3]))
