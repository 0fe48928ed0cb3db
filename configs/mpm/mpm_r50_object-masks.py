# PIN++ ablation, object masks instead of parts: MPM R-50 whose bypass segments the object (1,000 IN-1K classes +
# background) rather than its parts, against configs/mpm/mpm_r50.py. Tests whether the gain comes from the parts or
# only from knowing where the object is. The masks are the part masks (GT and pseudo) with every part pixel set to
# its object class (PartMaskToObjectMask, through the converter's part_ids.json: PIN++ parts belong to one class
# each); head, targets, sampling and weights as the recipe.
#   tools/dist_train.sh configs/mpm/mpm_r50_object-masks.py 8
_base_ = './mpm_r50.py'

# 1,000 object classes + background, from the table the converter wrote (as num_part_classes)
num_object_classes = __import__('mmpart.datasets.part_id_table', fromlist=['']).num_object_classes_in(
    _base_.part_id_file, default=1001)
model = dict(part_head=dict(num_classes=num_object_classes))
train_dataloader = dict(dataset=dict(pipeline=[
    *_base_.train_pipeline[:2],  # LoadImageFromFile, LoadPartMask
    dict(type='PartMaskToObjectMask', part_id_file=_base_.part_id_file),
    *_base_.train_pipeline[2:],
]))
