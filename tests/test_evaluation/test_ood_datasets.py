"""ImageNet-A/R logit slicing, ImageNet-Sketch and ImageNet-V2 labels, on synthetic folders."""
import numpy as np
import pytest
import torch
from PIL import Image

from mmpart.datasets.robustness.imagenet_meta import IMAGENET_A_INDICES, IMAGENET_R_INDICES, IMAGENET_WNIDS
from mmpart.evaluation.metrics import SubsetAccuracy
from mmpart.registry import DATASETS


def write_images(root, folders):
    for folder in folders:
        (root / folder).mkdir(parents=True)
        Image.fromarray(np.zeros((4, 4, 3), np.uint8)).save(root / folder / 'x.jpg')


def labels(dataset):
    return [dataset.get_data_info(i)['gt_label'] for i in range(len(dataset))]


def test_official_lists():
    assert len(IMAGENET_WNIDS) == 1000 and list(IMAGENET_WNIDS) == sorted(set(IMAGENET_WNIDS))
    assert IMAGENET_WNIDS[0] == 'n01440764' and IMAGENET_WNIDS[701] == 'n03888257'  # tench, parachute
    for subset in (IMAGENET_A_INDICES, IMAGENET_R_INDICES):
        assert len(subset) == 200 and list(subset) == sorted(set(subset)) and subset[-1] < 1000
    assert len(set(IMAGENET_A_INDICES) & set(IMAGENET_R_INDICES)) == 86  # DESIGN §2.3
    assert IMAGENET_A_INDICES[:3] == (6, 11, 13) and IMAGENET_R_INDICES[:3] == (1, 2, 4)


@pytest.mark.parametrize('name,subset', [('ImageNetA', IMAGENET_A_INDICES), ('ImageNetR', IMAGENET_R_INDICES)])
def test_a_r_labels_and_slicing(tmp_path, name, subset):
    wnids = [IMAGENET_WNIDS[subset[0]], IMAGENET_WNIDS[subset[-1]]]
    write_images(tmp_path, wnids)
    dataset = DATASETS.build(dict(type=name, data_root=str(tmp_path)))
    assert labels(dataset) == [subset[0], subset[-1]] and dataset.metainfo['subset_indices'] == subset

    outside = next(i for i in range(1000) if i not in subset)
    scores = torch.zeros(2, 1000)
    scores[:, outside] = 0.9  # the 1000-way argmax is outside the subset: slicing ignores it
    scores[0, subset[0]], scores[0, subset[-1]] = 0.06, 0.04  # sample 0: right within the subset
    scores[1, subset[0]], scores[1, subset[-1]] = 0.06, 0.04  # sample 1: wrong within the subset
    metric = SubsetAccuracy()
    metric.dataset_meta = dataset.metainfo
    metric.process({}, [dict(pred_score=s, gt_label=torch.tensor([y])) for s, y in zip(scores, labels(dataset))])
    assert metric.compute_metrics(metric.results) == dict(top1=50.0)

    write_images(tmp_path, [IMAGENET_WNIDS[outside]])
    with pytest.raises(ValueError, match=IMAGENET_WNIDS[outside]):
        DATASETS.build(dict(type=name, data_root=str(tmp_path)))


def test_sketch_labels_and_subset_list(tmp_path):
    write_images(tmp_path, ['n01443537', 'n01440764', 'n15075141'])
    dataset = DATASETS.build(dict(type='ImageNetSketch', data_root=str(tmp_path)))
    assert labels(dataset) == [0, 1, 999]
    (tmp_path / 'subset.txt').write_text('n15075141/x.jpg\n')
    assert labels(DATASETS.build(dict(type='ImageNetSketch', data_root=str(tmp_path), ann_file='subset.txt'))) == [999]
    write_images(tmp_path, ['n99999999'])
    with pytest.raises(ValueError, match='n99999999'):
        DATASETS.build(dict(type='ImageNetSketch', data_root=str(tmp_path)))


def test_v2_label_is_the_folder_number(tmp_path):
    write_images(tmp_path, ['0', '2', '10'])
    dataset = DATASETS.build(dict(type='ImageNetV2', data_root=str(tmp_path)))
    assert labels(dataset) == [0, 10, 2]  # sorted as strings; labels are int(folder), not positions
    (tmp_path / 'subset.txt').write_text('10/x.jpg 10\n')
    assert labels(DATASETS.build(dict(type='ImageNetV2', data_root=str(tmp_path), ann_file='subset.txt'))) == [10]
    write_images(tmp_path, ['1000'])
    with pytest.raises(ValueError, match='1000'):
        DATASETS.build(dict(type='ImageNetV2', data_root=str(tmp_path)))


def test_subset_accuracy_with_given_indices_and_prefix():
    # classes 3 and 7 of a 10-way model; 2 of 3 samples right within the subset (the 10-way argmax is 0)
    scores = torch.tensor([[0.5, 0, 0, 0.3, 0, 0, 0, 0.2, 0, 0]] * 3)
    metric = SubsetAccuracy(subset_indices=[3, 7], prefix='sub')
    metric.dataset_meta = dict(subset_indices=(0, 1))  # the argument wins over the metainfo
    metric.process({}, [dict(pred_score=s, gt_label=torch.tensor([y])) for s, y in zip(scores, (3, 3, 7))])
    assert metric.evaluate(3) == {'sub/top1': pytest.approx(200 / 3)}
    with pytest.raises(ValueError, match='SubsetAccuracy needs subset_indices'):
        SubsetAccuracy().process({}, [dict(pred_score=scores[0], gt_label=torch.tensor([3]))])
