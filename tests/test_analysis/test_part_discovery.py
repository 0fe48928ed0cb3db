"""DFF part discovery: non-negative factors, Hungarian-matched mIoU on hand-built cases, NMI/ARI, planted parts."""
import numpy as np
import pytest

from mmpart.analysis import (
    assign_parts,
    deep_feature_factorization,
    discover_class_parts,
    match_parts,
    part_discovery_scores,
)


def test_nmf_factors_and_heatmaps_are_non_negative():
    features = np.random.default_rng(0).random((3, 8, 4, 5))
    heatmaps, factors = deep_feature_factorization(features, 3)
    assert heatmaps.shape == (3, 3, 4, 5) and factors.shape == (3, 8)
    assert (heatmaps >= 0).all() and (factors >= 0).all()
    # the factorisation reconstructs the features
    reconstruction = np.einsum('nkhw,kc->nchw', heatmaps, factors)
    assert np.abs(reconstruction - features).mean() < np.abs(features - features.mean()).mean()
    with pytest.raises(ValueError, match='non-negative'):
        deep_feature_factorization(features - 0.5, 3)
    with pytest.raises(ValueError, match='N×C×h×w'):
        deep_feature_factorization(features[0], 3)


def test_hungarian_matching_beats_greedy_on_a_hand_built_case():
    # GT part 10: 4 pixels on factor 0, 2 on factor 1; GT part 20: 3 pixels on factor 0
    gt = np.array([10] * 6 + [20] * 3)
    discovered = np.array([0, 0, 0, 0, 1, 1, 0, 0, 0])
    # IoU(10, 0) = 4/9 is the largest entry, but 10 -> 1 (2/6) and 20 -> 0 (3/7) sum higher than 4/9 + 0
    result = match_parts(discovered, gt, num_parts=2)
    assert result['matches'] == {10: 1, 20: 0}
    assert result['miou'] == pytest.approx((2 / 6 + 3 / 7) / 2)
    np.testing.assert_allclose(result['iou'], [[4 / 9, 2 / 6], [3 / 7, 0]])


def test_gt_parts_left_without_a_factor_count_zero():
    gt = np.array([1, 1, 2, 2, 3, 3])
    result = match_parts(np.array([0, 0, 1, 1, 1, 1]), gt, num_parts=2)  # k = 2 < 3 GT parts
    assert result['miou'] == pytest.approx((1 + 2 / 4 + 0) / 3)
    with pytest.raises(ValueError, match='must be in 0..1'):
        match_parts(np.array([0, 2, 0, 0, 0, 0]), gt, num_parts=2)


def test_scores_of_a_relabelled_perfect_partition():
    gt = np.array([5, 5, 7, 7, 9, 9])
    scores = part_discovery_scores(np.array([2, 2, 0, 0, 1, 1]), gt, num_parts=3)
    assert scores == pytest.approx(dict(matched_miou=100, nmi=100, ari=100))
    assert part_discovery_scores(np.zeros(6, dtype=int), gt, num_parts=3)['nmi'] == pytest.approx(0)


def test_assign_parts_upsamples_then_takes_the_strongest_factor():
    heatmaps = np.zeros((2, 2, 2))
    heatmaps[0, :, 0] = 1  # factor 0 on the left column, factor 1 on the right
    heatmaps[1, :, 1] = 1
    np.testing.assert_array_equal(assign_parts(heatmaps, (4, 4)), np.array([[0, 0, 1, 1]] * 4))


def test_planted_parts_are_discovered_on_the_foreground_only():
    """Features whose channels encode the GT part (plus a background pattern) factorise into the parts."""
    rng = np.random.default_rng(0)
    masks = [rng.integers(0, 4, (6, 6)) for _ in range(3)]  # 0 = background, parts 1..3
    patterns = np.eye(4)[:, :] * 5 + 0.1
    features = np.stack([patterns[m].transpose(2, 0, 1) for m in masks])  # N×4×6×6
    scores, assignments = discover_class_parts(features, masks, num_parts=4)
    assert scores['matched_miou'] == pytest.approx(100) and scores['nmi'] == pytest.approx(100)
    assert scores['images'] == 3 and scores['pixels'] == sum(int((m > 0).sum()) for m in masks)
    assert [a.shape for a in assignments] == [(6, 6)] * 3
    with pytest.raises(ValueError, match='no part pixel'):
        discover_class_parts(features, [np.zeros((6, 6), dtype=int)] * 3, num_parts=2)
