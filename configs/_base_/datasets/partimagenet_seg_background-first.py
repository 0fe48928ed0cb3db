# PartImageNet Seg release (partimagenet_seg.py) with the background as class 0 and part p as class p + 1: the labels
# of MPM's part bypass (MPMPartHead's `ignore_blank` counts pixels > 0 as parts) and of the masks the classification
# view paints (LoadPartMaskFromAnnotations). mmseg's label_map reorders the PNGs (background 40) on loading; mIoU is
# over the same 41 classes as the other PartImageNet configs.
_base_ = './partimagenet_seg.py'

classes = ('Background', 'Quadruped Head', 'Quadruped Body', 'Quadruped Foot', 'Quadruped Tail', 'Biped Head',
           'Biped Body', 'Biped Hand', 'Biped Foot', 'Biped Tail', 'Fish Head', 'Fish Body', 'Fish Fin', 'Fish Tail',
           'Bird Head', 'Bird Body', 'Bird Wing', 'Bird Foot', 'Bird Tail', 'Snake Head', 'Snake Body', 'Reptile Head',
           'Reptile Body', 'Reptile Foot', 'Reptile Tail', 'Car Body', 'Car Tier', 'Car Side Mirror', 'Bicycle Body',
           'Bicycle Head', 'Bicycle Seat', 'Bicycle Tier', 'Boat Body', 'Boat Sail', 'Aeroplane Head', 'Aeroplane Body',
           'Aeroplane Engine', 'Aeroplane Wing', 'Aeroplane Tail', 'Bottle Mouth', 'Bottle Body')
train_dataloader = dict(dataset=dict(metainfo=dict(classes=classes)))
val_dataloader = dict(dataset=dict(metainfo=dict(classes=classes)))
test_dataloader = dict(dataset=dict(metainfo=dict(classes=classes)))
