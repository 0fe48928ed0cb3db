"""The PIN++ ablation configs differ from configs/mpm/mpm_r50.py exactly in what they claim, and do what they claim:
the scale ablations keep the reference's head branches and targets at the scales they keep; the object-mask
ablation supervises the bypass with each part pixel's object class."""
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.structures import PixelData
from mmpretrain.structures import DataSample

from mmpart.datasets.part_id_table import IGNORE_INDEX, PartIdTable, num_object_classes_in
from mmpart.registry import DATASETS, MODELS, TRANSFORMS
from mmpart.utils import register_all_modules

from .conftest import CONFIGS

HEAD = 'model.part_head.'
#: ablation → the settings it changes (flattened config keys; lists compare as a whole)
CLAIMS = {
    'mpm_r50_1-scale': {HEAD + k for k in ('in_channels', 'in_index', 'num_points', 'target_upsample')},
    'mpm_r50_2-scales': {HEAD + k for k in ('in_channels', 'in_index', 'num_points', 'target_upsample')},
    'mpm_r50_object-masks': {HEAD + 'num_classes', 'train_dataloader.dataset.pipeline', 'num_object_classes'},
    'mpm_r50_pseudo-weight-0.5': {HEAD + 'pseudo_weight'},
    'mpm_r50_no-pseudo': {'train_dataloader.dataset.extra_mask_roots'},
}


def flatten(cfg: dict, prefix: str = '') -> dict:
    flat = {}
    for key, value in cfg.items():
        if isinstance(value, dict):
            flat.update(flatten(value, f'{prefix}{key}.'))
        else:
            flat[prefix + key] = value
    return flat


@pytest.fixture(scope='module')
def recipe() -> dict:
    return flatten(Config.fromfile(str(CONFIGS / 'mpm' / 'mpm_r50.py')).to_dict())


@pytest.mark.parametrize('name', sorted(CLAIMS))
def test_ablation_differs_from_the_recipe_exactly_in_what_it_claims(name, recipe):
    ablation = flatten(Config.fromfile(str(CONFIGS / 'mpm' / f'{name}.py')).to_dict())
    changed = {k for k in set(recipe) | set(ablation) if recipe.get(k, '<unset>') != ablation.get(k, '<unset>')}
    assert changed == CLAIMS[name]
    head = {k[len(HEAD):]: v for k, v in ablation.items() if k.startswith(HEAD)}
    if name == 'mpm_r50_1-scale':  # stage 4 only, the reference's 7² targets
        assert (head['in_channels'], head['in_index'], head['num_points'], head['target_upsample']) == (
            [2048], [2], [6], 4)
    elif name == 'mpm_r50_2-scales':  # stages 3 and 4
        assert (head['in_channels'], head['in_index'], head['num_points'], head['target_upsample']) == (
            [1024, 2048], [1, 2], [12, 6], 2)
    elif name == 'mpm_r50_object-masks':  # 1,000 objects + background; the recipe's pipeline plus the mapping
        assert head['num_classes'] == 1001
        pipeline = [t['type'] for t in ablation['train_dataloader.dataset.pipeline']]
        recipe_pipeline = [t['type'] for t in recipe['train_dataloader.dataset.pipeline']]
        assert pipeline == recipe_pipeline[:2] + ['PartMaskToObjectMask'] + recipe_pipeline[2:]
        assert recipe_pipeline[1] == 'LoadPartMask'
    elif name == 'mpm_r50_pseudo-weight-0.5':
        assert (recipe[HEAD + 'pseudo_weight'], head['pseudo_weight']) == (1.0, 0.5)
    else:  # no pseudo labels: the pseudo-label folder is gone, the GT masks stay
        assert recipe['train_dataloader.dataset.extra_mask_roots'] == ['pinpp_pseudo']
        assert ablation['train_dataloader.dataset.extra_mask_roots'] == []
        assert ablation['train_dataloader.dataset.data_prefix.seg_map_path'] == 'pinpp/seg'


def part_head(name: str, **overrides):
    register_all_modules()
    cfg = Config.fromfile(str(CONFIGS / 'mpm' / f'{name}.py')).model.part_head
    cfg.update(num_classes=11, num_points=None, **overrides)  # dense, so that the targets can be compared
    return MODELS.build(cfg)


def test_scale_ablations_keep_the_reference_branches_and_targets():
    torch.manual_seed(0)
    feats = [torch.rand(2, c, s, s) for c, s in ((512, 8), (1024, 4), (2048, 2))]  # R-50 stages 2-4
    samples = []
    for _ in range(2):
        sample = DataSample().set_gt_label(0)
        sample.gt_sem_seg = PixelData(data=torch.randint(0, 11, (1, 32, 32)))
        samples.append(sample)
    targets = {}
    for name in ('mpm_r50', 'mpm_r50_2-scales', 'mpm_r50_1-scale'):
        head = part_head(name)
        seen = targets.setdefault(name, [])
        head.loss_decode.register_forward_pre_hook(lambda m, args, seen=seen: seen.append(args[1]))
        maps = head(feats)
        losses = head.loss_by_feat(maps, samples)
        assert [m.shape[-1] for m in maps] == {'mpm_r50': [8, 4, 2], 'mpm_r50_2-scales': [4, 2],
                                               'mpm_r50_1-scale': [2]}[name]
        assert torch.isfinite(losses['acc_part'])
        widths = [p.conv.out_channels for p in head.projections]
        assert widths == [128, 256, 512][-len(maps):]  # the reference's branches at the scales kept
    reference = targets['mpm_r50']
    assert len(targets['mpm_r50_2-scales']) == 2 and len(targets['mpm_r50_1-scale']) == 1
    for ours, theirs in zip(targets['mpm_r50_2-scales'], reference[1:]):
        torch.testing.assert_close(ours, theirs)
    torch.testing.assert_close(targets['mpm_r50_1-scale'][0], reference[2])
    # without target_upsample the coarse scale would get hard nearest-pixel targets instead
    plain = part_head('mpm_r50_1-scale', target_upsample=1)
    seen = []
    plain.loss_decode.register_forward_pre_hook(lambda m, args: seen.append(args[1]))
    plain.loss_by_feat(plain(feats), samples)
    assert not seen[0].is_floating_point()
    with pytest.raises(ValueError, match='target_upsample must be a whole number >= 1'):
        part_head('mpm_r50_1-scale', target_upsample=0)


@pytest.fixture
def table_file(tmp_path):
    table = PartIdTable([('n01', 'fish', [(1, 'head'), (2, 'tail')]), ('n02', 'dog', [(7, 'body')]),
                         ('n03', 'car', [(1, 'wheel'), (2, 'door'), (3, 'roof')])])
    path = str(tmp_path / 'part_ids.json')
    table.dump(path)
    return path


def test_part_mask_to_object_mask(table_file):
    register_all_modules()
    transform = TRANSFORMS.build(dict(type='PartMaskToObjectMask', part_id_file=table_file))
    # part ids: fish 1-2, dog 3, car 4-6; objects 1 (fish), 2 (dog), 3 (car); background and ignore stay
    mask = np.array([[0, 1, 2, 3], [4, 5, 6, IGNORE_INDEX]], dtype=np.uint16)
    out = transform(dict(gt_seg_map=mask))['gt_seg_map']
    assert out.dtype == np.uint16
    assert out.tolist() == [[0, 1, 1, 2], [3, 3, 3, IGNORE_INDEX]]
    assert num_object_classes_in(table_file, default=1001) == 4
    assert num_object_classes_in(table_file + '.missing', default=1001) == 1001
    with pytest.raises(ValueError, match=r'x\.png: part id 7 is not in .*part_ids\.json \(6 parts\)'):
        transform(dict(gt_seg_map=np.array([[7]], dtype=np.uint16), seg_map_path='x.png'))


def test_object_masks_of_the_converted_synthetic_set(synthetic_pinpp):
    # on the converter's output, each part pixel becomes its image's class (label + 1): table order = label order
    register_all_modules()
    root = synthetic_pinpp
    pipeline = [dict(type='LoadImageFromFile'), dict(type='LoadPartMask'), dict(type='PackPartInputs')]
    dataset_cfg = dict(type='PINPPDataset', data_root=str(root), part_id_file='converted/part_ids.json',
                       data_prefix=dict(img_path='imagenet/train', seg_map_path='converted/seg'))
    parts = DATASETS.build(dict(dataset_cfg, pipeline=pipeline))
    objects = DATASETS.build(dict(dataset_cfg, pipeline=pipeline[:2] + [dict(
        type='PartMaskToObjectMask', part_id_file=str(root / 'converted' / 'part_ids.json'))] + pipeline[2:]))
    checked = 0
    for i in range(0, len(parts), 3):
        part_sample, object_sample = parts[i]['data_samples'], objects[i]['data_samples']
        if not part_sample.has_part_mask:
            continue
        part_mask, object_mask = part_sample.gt_sem_seg.data, object_sample.gt_sem_seg.data
        expected = (part_mask > 0).long() * (int(part_sample.gt_label) + 1)
        assert torch.equal(object_mask.long(), expected) and (part_mask > 0).any()
        checked += 1
    assert checked >= 5
