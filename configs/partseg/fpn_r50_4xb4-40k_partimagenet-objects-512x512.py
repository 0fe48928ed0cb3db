# Semantic FPN R-50 on PartImageNet's whole-object masks (annotations/{split}_whole/, DESIGN §2.2): 159 classes,
# the 158 object classes (mask values 0..157) + background (158, last), with the part recipe of
# fpn_r50_4xb4-40k_partimagenet-512x512.py. The release does not name the mask values; set
# metainfo=dict(classes=...) on the datasets to name them, objects_only=True (and num_classes=158) to ignore the
# background.
_base_ = './fpn_r50_4xb4-40k_partimagenet-512x512.py'
dataset_type = 'PartImageNetObjectSegDataset'
model = dict(decode_head=dict(num_classes=159))
train_dataloader = dict(
    dataset=dict(type=dataset_type, data_prefix=dict(seg_map_path='annotations/train_whole')))
val_dataloader = dict(dataset=dict(type=dataset_type, data_prefix=dict(seg_map_path='annotations/val_whole')))
test_dataloader = dict(dataset=dict(type=dataset_type, data_prefix=dict(seg_map_path='annotations/test_whole')))
