"""Every config outside partseg/ and partdet/ (built in tests/test_partseg/test_configs.py) builds its model; one
forward of each model family on a tiny input."""
import pytest
import torch
from mmdet.structures import DetDataSample
from mmengine.structures import PixelData
from mmpretrain.structures import DataSample

from mmpart.models import MPMClassifier
from mmpart.utils.checkpoint_match import state_dict_mismatch

from .conftest import CONFIGS, load_config

NAMES = sorted(str(path.relative_to(CONFIGS).with_suffix('')) for path in CONFIGS.rglob('*.py')
               if path.parts[len(CONFIGS.parts)] not in ('_base_', 'partseg', 'partdet'))
CLASSIFIER_FAMILIES = ['mpm/mpm_r50', 'mpm/mpm_convnext-t', 'mpm/mpm_swin-t', 'baseline/baseline_r50']
DETECTORS = ['downstream/faster-rcnn_mpm-r50_fpn_1x_coco', 'downstream/mask-rcnn_mpm-r50_fpn_1x_coco']


def test_the_configs_users_are_told_about_exist():
    for name in ('mpm/mpm_r50', 'mpm/mpm_r50_init', 'mpm/mpm_r50_standard', 'baseline/baseline_r50',
                 'baseline/baseline_r50_standard', 'mpm/mpm_convnext-t', 'mpm/mpm_swin-t', *DETECTORS):
        assert name in NAMES


@pytest.mark.parametrize('name', NAMES)
def test_config_builds_its_model(name, build_model):
    cfg = load_config(name)
    assert cfg.default_scope == 'mmpart'
    model = build_model(name)
    if name.startswith(('mpm/', 'baseline/')):
        # a load_from / resume that does not fit the model stops the run (mmengine would only warn)
        assert cfg.default_hooks.strict_load.type == 'StrictLoadHook'
        assert model.head.num_classes == cfg.data_preprocessor.num_classes
        assert isinstance(model, MPMClassifier) == name.startswith('mpm/')
    if name.startswith('mpm/') and 'synthetic' not in name:
        # background + parts from part_ids.json (or the authors' 3,310: tests/test_datasets); the object-mask
        # ablation: background + 1,000 objects
        expected = 1001 if 'object-masks' in name else cfg.num_part_classes
        assert model.part_head.num_classes == expected


def part_samples(n: int, size: int, num_parts: int) -> list:
    generator = torch.Generator().manual_seed(0)
    samples = []
    for i in range(n):
        sample = DataSample().set_gt_label(i)
        sample.gt_sem_seg = PixelData(data=torch.randint(0, num_parts, (1, size, size), generator=generator))
        samples.append(sample)
    return samples


@pytest.mark.parametrize('name', CLASSIFIER_FAMILIES)
def test_classifier_forward(name, build_model):
    model = build_model(name).eval()
    size = 224 if 'swin' in name else 64  # Swin's windows need 7x7 tokens at the last stage; BN needs 2x2
    inputs = torch.rand(1, 3, size, size, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        logits = model(inputs)
    assert tuple(logits.shape) == (1, 1000) and torch.isfinite(logits).all()
    if isinstance(model, MPMClassifier):
        attack, model.attack = model.attack, None  # the bypass's forward, not the adversarial step
        try:
            with torch.no_grad():
                losses = model.train()(inputs, part_samples(1, size, model.part_head.num_classes), mode='loss')
        finally:
            model.attack = attack
            model.eval()
        assert {'loss_cls', 'loss_part_s0', 'loss_part_s1', 'loss_part_s2'} <= set(losses)
        assert all(torch.isfinite(value).all() for value in losses.values())


@pytest.mark.parametrize('name', DETECTORS)
def test_detector_forward_and_its_backbone_takes_every_mpm_backbone_key(name, build_model):
    detector = build_model(name)
    sample = DetDataSample(metainfo=dict(img_shape=(64, 64), ori_shape=(64, 64), scale_factor=(1.0, 1.0)))
    image = torch.randint(0, 256, (3, 64, 64), dtype=torch.uint8, generator=torch.Generator().manual_seed(0))
    data = detector.data_preprocessor(dict(inputs=[image], data_samples=[sample]), False)
    with torch.no_grad():
        result = detector(**data, mode='predict')[0]
    assert 'bboxes' in result.pred_instances and ('masks' in result.pred_instances) == ('mask-rcnn' in name)

    init = load_config(name).model.backbone.init_cfg
    assert init.type == 'Pretrained' and init.prefix == 'backbone.'
    mpm_backbone = {key[len('backbone.'):]: value for key, value in build_model('mpm/mpm_r50').state_dict().items()
                    if key.startswith('backbone.')}
    assert state_dict_mismatch(detector.backbone.state_dict(), mpm_backbone) == {}
