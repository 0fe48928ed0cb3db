"""The PIN++ authors' checkpoints -> mmpart: their MPM (rebuilt with their module layout and key names, random weights)
becomes an MPMClassifier with the same logits and the same part logits at every scale; predict_parts works; through
mpm_to_cls.py it becomes the plain classifier with the same logits; their plain ResNet-50 (GELU) too. The configs'
preprocessing is their eval transform on the same JPEG, bit for bit."""
import numpy as np
import pytest
import torch
from mmcv.transforms import Compose
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmengine.runner import load_checkpoint
from PIL import Image
from torchvision import transforms

from mmpart.models.utils.checkpoint_conversion import ForeignCheckpointError
from mmpart.utils import safe_load_checkpoint

from .helpers import (
    REPO,
    assert_logits_close,
    build_config_model,
    images,
    mmpart_logits,
    no_initialisers,
    randomise,
    run_converter,
)
from .pinpp_authors_rebuild import EvalModel, build_model, timm_checkpoint

MPM_CONFIG = 'configs/pinpp_authors/pinpp-authors_mpm-r50.py'
PLAIN_CONFIG = 'configs/pinpp_authors/pinpp-authors_r50-gelu.py'


@pytest.fixture(scope='module', autouse=True)
def _fast_models():
    with no_initialisers():
        yield


@pytest.fixture(scope='module')
def theirs():
    """Their MPM with random EMA weights (what their eval.py loads) and other raw weights."""
    model = randomise(build_model(part=True), seed=1)
    ema = randomise(build_model(part=True), seed=2)
    return ema, timm_checkpoint(model, ema.state_dict())


def test_mpm_logits_and_part_logits_equal_theirs(theirs, tmp_path, capsys):
    ema, checkpoint = theirs
    ema = EvalModel(ema)
    torch.save(checkpoint, tmp_path / 'model_best.pth.tar')
    out = run_converter('pinpp_to_mmpart', [tmp_path / 'model_best.pth.tar', tmp_path / 'mpm.pth'], capsys)
    assert "their mpm model from checkpoint['state_dict_ema']" in out
    assert f'mapped {len(checkpoint["state_dict_ema"])} tensors' in out and 'left behind' not in out
    assert 'in another form: classifer.0-1' in out and 'SeparableConv2d' in out and '--level 1/2' in out

    model = build_config_model(MPM_CONFIG)
    load_checkpoint(model, str(tmp_path / 'mpm.pth'), strict=True, logger='silent')
    x = images(64)
    with torch.no_grad():
        logits, part_logits = ema(x, return_seg=True)
        assert_logits_close(mmpart_logits(model, x), logits)
        normalised = model.data_preprocessor(dict(inputs=(x * 255).round().flip(1)), False)['inputs']
        ours = model.part_head(model.backbone(normalised))  # finest first, as theirs [28², 14², 7²]
        assert [o.shape[-1] for o in ours] == [8, 4, 2]
        for mine, reference in zip(ours, part_logits):
            assert_logits_close(mine, reference)
        parts = model.predict_parts(normalised, [dict(img_shape=(64, 64))] * 2)
    assert parts.shape == (2, 3311, 64, 64)


def test_mpm_exports_to_the_plain_classifier(theirs, tmp_path):
    ema, checkpoint = theirs
    torch.save(checkpoint, tmp_path / 'ckpt.pth.tar')
    run_converter('pinpp_to_mmpart', [tmp_path / 'ckpt.pth.tar', tmp_path / 'mpm.pth'])
    assert 'MPMClassifier' in safe_load_checkpoint(str(tmp_path / 'mpm.pth'))['meta']['cfg']
    run_converter('mpm_to_cls', [tmp_path / 'mpm.pth', tmp_path / 'cls.pth'])  # the config comes from meta.cfg
    model = build_config_model(PLAIN_CONFIG)
    load_checkpoint(model, str(tmp_path / 'cls.pth'), strict=True, logger='silent')
    x = images(64, seed=1)
    with torch.no_grad():
        assert_logits_close(mmpart_logits(model, x), EvalModel(ema)(x))


def test_plain_model_and_no_ema(tmp_path, capsys):
    raw, ema = randomise(build_model(part=False), seed=3), randomise(build_model(part=False), seed=4)
    torch.save(timm_checkpoint(raw, ema.state_dict()), tmp_path / 'plain.pth.tar')
    out = run_converter('pinpp_to_mmpart', [tmp_path / 'plain.pth.tar', tmp_path / 'plain.pth', '--no-ema'], capsys)
    assert "their plain model from checkpoint['state_dict']" in out and 'in another form' not in out
    model = build_config_model(PLAIN_CONFIG)
    load_checkpoint(model, str(tmp_path / 'plain.pth'), strict=True, logger='silent')
    x = images(64, seed=2)
    with torch.no_grad():
        assert_logits_close(mmpart_logits(model, x), EvalModel(raw)(x))


def test_mismatched_checkpoints_are_refused(theirs, tmp_path):
    # their object-mask ablation (seg_classes 1001) into the 3,311-part config, and their two-stage model
    _, checkpoint = theirs
    ema = dict(checkpoint['state_dict_ema'])
    ema['segmenter_head1.1.pointwise.weight'] = ema['segmenter_head1.1.pointwise.weight'][:1001]
    torch.save(dict(state_dict_ema=ema), tmp_path / 'objects.pth')
    with pytest.raises(ForeignCheckpointError, match=r'(?s)objects\.pth: .*shape mismatch.*seg_layers\.2\.2\.weight '
                       r'\(1001, 512, 1, 1\) \(model \(3311, 512, 1, 1\)\)'):
        run_converter('pinpp_to_mmpart', [tmp_path / 'objects.pth', tmp_path / 'out.pth'])
    torch.save({'segmenter.conv1.weight': torch.zeros(64, 3, 7, 7),
                'segmenter_head.2.pointwise.weight': torch.zeros(3311, 2048, 1, 1)}, tmp_path / 'twostage.pth')
    with pytest.raises(ForeignCheckpointError, match=r'twostage\.pth: the authors\' two-stage part model'):
        run_converter('pinpp_to_mmpart', [tmp_path / 'twostage.pth', tmp_path / 'out.pth'])
    assert not (tmp_path / 'out.pth').exists()


def test_config_pipeline_is_their_eval_transform(tmp_path):
    rng = np.random.default_rng(0)
    smooth = (np.cumsum(rng.integers(-8, 9, (400, 500, 3)), axis=1) % 256).astype(np.uint8)
    # their eval.py build_transform (input_size 224, crop_pct 0.875) and ToTensor
    reference = transforms.Compose([transforms.Resize(256, interpolation=transforms.InterpolationMode.BICUBIC),
                                    transforms.CenterCrop(224), transforms.ToTensor()])
    cfg = Config.fromfile(str(REPO / MPM_CONFIG))
    with DefaultScope.overwrite_default_scope('mmpart'):
        pipeline = Compose(cfg.test_dataloader.dataset.pipeline)
    for i, (h, w) in enumerate([(375, 500), (400, 301)]):
        path = tmp_path / f'{i}.JPEG'
        Image.fromarray(smooth[:h, :w]).save(path, quality=90)
        with Image.open(path) as img:
            expected = reference(img.convert('RGB'))
        packed = pipeline(dict(img_path=str(path)))['inputs']
        torch.testing.assert_close(packed.flip(0).float() / 255, expected, rtol=0, atol=0)
