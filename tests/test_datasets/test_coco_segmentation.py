"""COCO segmentations checked before pycocotools sees them: run lengths of compressed RLE, reasons of the errors."""
import numpy as np
import pytest
from pycocotools import mask as mask_utils

from mmpart.datasets.converters.coco_segmentation import (
    SegmentationError,
    clean_segmentation,
    compressed_rle_counts,
    rle_to_json,
    segmentation_to_rle,
)


def run_lengths(mask: np.ndarray) -> list:
    """COCO's uncompressed counts: alternating runs of 0 and 1 in column-major order, starting with 0."""
    flat = mask.flatten(order='F')
    changes = np.flatnonzero(np.diff(flat)) + 1
    bounds = [0, *changes.tolist(), len(flat)]
    runs = np.diff(bounds).tolist()
    return runs if flat[0] == 0 else [0] + runs


def test_compressed_counts_are_the_run_lengths():
    # runs longer than 31 (several characters per number) and runs shorter than the one two before
    # (negative differences, sign-extended)
    rng = np.random.default_rng(0)
    for _ in range(20):
        mask = np.zeros((40, 50), np.uint8)
        for _ in range(4):
            y, x = rng.integers(0, 40), rng.integers(0, 50)
            mask[y:y + rng.integers(1, 30), x:x + rng.integers(1, 30)] = 1
        counts = mask_utils.encode(np.asfortranarray(mask))['counts'].decode()
        assert compressed_rle_counts(counts) == run_lengths(mask)
    assert compressed_rle_counts('') == []


@pytest.mark.parametrize('counts, message', [
    ('P', 'compressed counts end inside a number'),  # 'P' - 48 = 32: "more characters follow"
    ('0p', "character 'p' in compressed counts"),  # 'p' - 48 = 64: not a 6-bit digit
    ('0/', "character '/' in compressed counts"),
])
def test_corrupt_compressed_counts_are_bad_rle(counts, message):
    with pytest.raises(SegmentationError) as err:
        compressed_rle_counts(counts)
    assert err.value.reason == 'bad_rle' and str(err.value) == f'bad_rle: {message}'


def test_compressed_rle_is_checked_against_the_image():
    mask = np.zeros((4, 5), np.uint8)
    mask[1:3, 2:5] = 1
    counts = mask_utils.encode(np.asfortranarray(mask))['counts'].decode()
    rle = segmentation_to_rle(dict(size=[4, 5], counts=counts), 4, 5)
    np.testing.assert_array_equal(mask_utils.decode(rle), mask)
    for bad, reason in [(dict(size=[5, 4], counts=counts), 'rle_size_mismatch'),
                        (dict(size=[4, 5], counts=counts[:-1]), 'bad_rle'),
                        (dict(size=[4], counts=counts), 'bad_rle')]:
        with pytest.raises(SegmentationError) as err:
            segmentation_to_rle(bad, 4, 5)
        assert err.value.reason == reason


def test_polygons_are_cleaned_and_counted():
    square = [0, 0, 4, 0, 4, 4, 0, 4]
    assert clean_segmentation(square) == ([[float(v) for v in square]], 0)  # a flat list is one polygon
    assert clean_segmentation([square, [1, 1, 2, 2], [0, 0, 1, 0, 1, True]]) == ([[float(v) for v in square]], 2)
    with pytest.raises(SegmentationError) as err:
        clean_segmentation([[1, 1, 2, 2]])
    assert err.value.reason == 'annotation_without_polygon' and str(err.value) == 'annotation_without_polygon'


def test_rle_to_json_writes_text_counts():
    assert rle_to_json(dict(size=np.array([4, 5]), counts=b'52203')) == dict(size=[4, 5], counts='52203')
    assert rle_to_json(dict(size=[4, 5], counts='52203')) == dict(size=[4, 5], counts='52203')  # already text


@pytest.mark.parametrize('segmentation, message', [
    (dict(counts='52203'), 'bad_segmentation: RLE without "counts"/"size": [\'counts\']'),
    (dict(size=[4, 5]), 'bad_segmentation: RLE without "counts"/"size": [\'size\']'),
    ('0 0 4 0 4 4', 'bad_segmentation: str, expected polygons or RLE'),
])
def test_segmentations_of_neither_shape(segmentation, message):
    with pytest.raises(SegmentationError) as err:
        clean_segmentation(segmentation)
    assert err.value.reason == 'bad_segmentation' and str(err.value) == message


def test_a_triangle_is_a_polygon():
    assert clean_segmentation([[0, 0, 4, 0, 0, 4]]) == ([[0.0, 0.0, 4.0, 0.0, 0.0, 4.0]], 0)


@pytest.mark.parametrize('rle, message', [
    (dict(size=[4], counts=[20]), 'bad_rle: size [4]'),
    (dict(size=[4, 5, 1], counts=[20]), 'bad_rle: size [4, 5, 1]'),
    (dict(size=(4, 5), counts=[20]), 'bad_rle: size (4, 5)'),
    (dict(size=[4, 'a'], counts=[20]), "bad_rle: size [4, 'a']"),
    (dict(size=[5, 4], counts=[20]), 'rle_size_mismatch: RLE size [5, 4], image 4x5'),
    (dict(size=[4, 5], counts=[True, 19]), 'bad_rle: counts do not cover the 4x5 image'),
    (dict(size=[4, 5], counts=[10.0, 10.0]), 'bad_rle: counts do not cover the 4x5 image'),
    (dict(size=[4, 5], counts=[-1, 21]), 'bad_rle: counts do not cover the 4x5 image'),
    (dict(size=[4, 5], counts=[10, 9]), 'bad_rle: counts do not cover the 4x5 image'),
    (dict(size=[4, 5], counts=20), 'bad_rle: counts do not cover the 4x5 image'),
    (dict(size=[4, 5], counts=b'\xff'), "bad_rle: character '\ufffd' in compressed counts"),
])
def test_rle_errors_name_the_reason(rle, message):
    with pytest.raises(SegmentationError) as err:
        segmentation_to_rle(rle, 4, 5)
    assert str(err.value) == message


def test_rle_counts_as_runs_text_or_bytes():
    full = np.ones((4, 5), np.uint8)
    np.testing.assert_array_equal(mask_utils.decode(segmentation_to_rle(dict(size=[4, 5], counts=[0, 20]), 4, 5)),
                                  full)  # a first run of length 0: the mask starts with 1
    counts = mask_utils.encode(np.asfortranarray(full))['counts']
    for given in (counts, counts.decode()):
        np.testing.assert_array_equal(mask_utils.decode(segmentation_to_rle(dict(size=[4, 5], counts=given), 4, 5)),
                                      full)
