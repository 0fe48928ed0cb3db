"""Part masks painted from COCO part annotations: ids, overlaps, release defects, shape checks."""
import numpy as np
import pytest
from pycocotools import mask as mask_utils

from mmpart.datasets.transforms import LoadPartMaskFromAnnotations, rasterize_part_annotations


def rect(x0, y0, x1, y1):
    return [x0, y0, x1, y0, x1, y1, x0, y1]


def test_parts_are_painted_as_id_plus_one_with_the_smaller_part_on_top():
    anns = [dict(category_id=25, segmentation=[rect(4, 4, 6, 6)]),  # a tire, listed first, inside the body
            dict(category_id=24, segmentation=[rect(0, 0, 8, 8)]),
            dict(category_id=0, segmentation=[rect(8, 0, 10, 2), rect(8, 6, 10, 8)])]  # two polygons
    mask = rasterize_part_annotations(anns, 8, 10)
    expected = np.zeros((8, 10), dtype=np.uint16)
    expected[:, :8] = 25
    expected[4:6, 4:6] = 26
    expected[0:2, 8:10] = expected[6:8, 8:10] = 1
    np.testing.assert_array_equal(mask, expected)


def test_release_defects_are_survived_and_rle_is_read():
    rle = mask_utils.encode(np.asfortranarray(np.pad(np.ones((2, 2), np.uint8), ((1, 3), (1, 3)))))
    rle['counts'] = rle['counts'].decode()
    anns = [dict(category_id=3, segmentation=[rect(0, 0, 2, 2), [1, 1, 2, 2]]),  # a 2-point polygon after a valid one
            dict(category_id=4, segmentation=[[5, 5, 6, 6]]),  # only a 2-point polygon: no pixel
            dict(category_id=5, segmentation=[[0, 0, 1, 1, 2, 2]]),  # collinear, area 0
            dict(category_id=6, segmentation=rle)]
    mask = rasterize_part_annotations(anns, 6, 6)
    assert mask[0, 0] == 4 and mask[2, 2] == 7 and set(np.unique(mask)) == {0, 4, 7}
    assert not rasterize_part_annotations([], 3, 3).any()


def test_transform_checks_the_image_size_and_handles_unannotated_images():
    transform = LoadPartMaskFromAnnotations()
    results = transform(dict(ori_shape=(8, 10), part_annotations=[dict(category_id=1, segmentation=[rect(0, 0, 2, 2)])],
                             part_annotation_shape=(8, 10)))
    assert results['has_part_mask'] and results['gt_seg_map'][0, 0] == 2 and results['seg_fields'] == ['gt_seg_map']
    empty = transform(dict(ori_shape=(4, 5), part_annotations=None))
    assert not empty['has_part_mask'] and empty['gt_seg_map'].shape == (4, 5) and not empty['gt_seg_map'].any()
    with pytest.raises(ValueError, match='a.JPEG: the annotation json gives the image size \\(9, 10\\)'):
        transform(dict(img_path='a.JPEG', ori_shape=(8, 10), part_annotations=[], part_annotation_shape=(9, 10)))
    with pytest.raises(KeyError, match='after LoadImageFromFile'):
        transform(dict(part_annotations=[]))
