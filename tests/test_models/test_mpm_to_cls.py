"""tools/model_converters/mpm_to_cls.py: a deployed MPM is exactly the plain classifier."""
import runpy
import sys
from pathlib import Path

import pytest
import torch
from mmengine.analysis import get_model_complexity_info
from mmengine.config import Config

from mmpart.models.utils import mpm_to_cls_checkpoint, plain_classifier_cfg
from mmpart.registry import MODELS
from mmpart.utils import register_all_modules

from .test_mpm_classifier import MPM_SYNTHETIC, build_synthetic_mpm, small_convnext_mpm_cfg

REPO = Path(__file__).parents[2]
BASELINE = REPO / 'configs' / 'baseline' / 'baseline_r18_synthetic.py'


def build_baseline():
    register_all_modules()
    cfg = Config.fromfile(str(BASELINE))
    cfg.model.setdefault('data_preprocessor', cfg.data_preprocessor)
    return MODELS.build(cfg.model).eval()


def mmengine_checkpoint(model) -> dict:
    """As EMAHook saves it: EMA weights in ``state_dict``, raw ones in ``ema_state_dict`` (``module.``)."""
    raw = {k: v.clone() for k, v in model.state_dict().items()}
    ema = {k: 0.9 * v if v.is_floating_point() else v for k, v in raw.items()}
    return dict(meta=dict(epoch=8), state_dict=ema,
                ema_state_dict={'steps': torch.tensor(5), **{f'module.{k}': v for k, v in raw.items()}})


def convert_with_tool(src: Path, dst: Path, *args: str, capsys) -> str:
    argv = sys.argv
    sys.argv = ['mpm_to_cls.py', str(src), str(dst), *args]
    try:
        runpy.run_path(str(REPO / 'tools' / 'model_converters' / 'mpm_to_cls.py'), run_name='__main__')
    finally:
        sys.argv = argv
    return capsys.readouterr().out


def mpm_model_cfg():
    return Config.fromfile(str(MPM_SYNTHETIC)).model


def test_deployed_mpm_is_the_plain_classifier(tmp_path, capsys):
    mpm = build_synthetic_mpm().eval()
    checkpoint = mmengine_checkpoint(mpm)
    torch.save(checkpoint, tmp_path / 'mpm.pth')
    out = convert_with_tool(tmp_path / 'mpm.pth', tmp_path / 'cls.pth', '--config', str(MPM_SYNTHETIC), capsys=capsys)
    assert 'EMA weights' in out

    plain = build_baseline()
    converted = torch.load(tmp_path / 'cls.pth', weights_only=True)
    plain.load_state_dict(converted['state_dict'], strict=True)
    assert converted['meta'] == dict(epoch=8, converted_from='MPMClassifier', weights='EMA weights')

    mpm.load_state_dict(checkpoint['state_dict'])  # the same EMA weights in the MPM
    inputs = torch.rand(2, 3, 64, 64)
    with torch.no_grad():
        logits = plain(inputs)
        assert torch.isfinite(logits).all() and torch.equal(logits, mpm(inputs))
    n_plain = sum(p.numel() for p in plain.parameters())
    assert sum(v.numel() for k, v in converted['state_dict'].items() if 'running' not in k
               and 'num_batches' not in k) == n_plain < sum(p.numel() for p in mpm.parameters())
    flops = [get_model_complexity_info(m, input_shape=(3, 64, 64), show_table=False, show_arch=False)['flops']
             for m in (mpm, plain)]
    assert flops[0] == flops[1] > 0


def test_config_saved_in_the_checkpoint(tmp_path, capsys):
    """mmengine saves the run's config in ``meta.cfg``: the tool needs no --config then, and says so without it."""
    checkpoint = mmengine_checkpoint(build_synthetic_mpm())
    checkpoint['meta']['cfg'] = Config.fromfile(str(MPM_SYNTHETIC)).pretty_text
    torch.save(checkpoint, tmp_path / 'mpm.pth')
    convert_with_tool(tmp_path / 'mpm.pth', tmp_path / 'cls.pth', capsys=capsys)
    converted = torch.load(tmp_path / 'cls.pth', weights_only=True)
    assert 'cfg' not in converted['meta']  # the MPM run's config does not describe the converted model
    build_baseline().load_state_dict(converted['state_dict'], strict=True)
    del checkpoint['meta']['cfg']
    torch.save(checkpoint, tmp_path / 'mpm.pth')
    with pytest.raises(SystemExit, match='--config'):
        convert_with_tool(tmp_path / 'mpm.pth', tmp_path / 'cls.pth', capsys=capsys)


def test_raw_weights_and_non_mpm_checkpoints():
    mpm = build_synthetic_mpm()
    checkpoint = mmengine_checkpoint(mpm)
    raw, source = mpm_to_cls_checkpoint(checkpoint, mpm_model_cfg(), use_ema=False)
    assert source.startswith('raw (non-EMA) weights')
    name = 'backbone.conv1.weight'
    assert torch.equal(raw['state_dict'][name], mpm.state_dict()[name])
    assert mpm_to_cls_checkpoint(checkpoint, mpm_model_cfg())[1].startswith('EMA weights')  # the default
    no_ema, source = mpm_to_cls_checkpoint(dict(state_dict=mpm.state_dict()), mpm_model_cfg())
    assert 'no EMA' in source and not any(k.startswith('part_head.') for k in no_ema['state_dict'])
    bare, source = mpm_to_cls_checkpoint(mpm.state_dict(), mpm_model_cfg())  # a bare state dict
    assert 'no EMA' in source and torch.equal(bare['state_dict'][name], mpm.state_dict()[name])
    with pytest.raises(ValueError, match=r'^no bypass weights \(part_head\.\) in the checkpoint: is it an '
                                         r'MPMClassifier checkpoint\?$'):
        mpm_to_cls_checkpoint(dict(state_dict=build_baseline().state_dict()), mpm_model_cfg())


def test_checkpoint_of_another_model_is_refused():
    state = build_synthetic_mpm().state_dict()
    other = mpm_model_cfg()
    other.head.num_classes = 7
    with pytest.raises(ValueError, match=r'shape mismatch \(2\): head.fc.weight \(6, 256\) \(model \(7, 256\)\)'):
        mpm_to_cls_checkpoint(dict(state_dict=state), other)
    extra = dict(state, **{'neck.extra.weight': torch.zeros(1)})
    with pytest.raises(ValueError, match=r'neither bypass nor backbone \(1\): neck.extra.weight'):
        mpm_to_cls_checkpoint(dict(state_dict=extra), mpm_model_cfg())
    del state['backbone.conv1.weight']
    with pytest.raises(ValueError, match=r'missing \(1\): backbone.conv1.weight'):
        mpm_to_cls_checkpoint(dict(state_dict=state), mpm_model_cfg())


def test_convnext_mpm_leaves_the_norms_only_the_bypass_reads_behind():
    cfg = small_convnext_mpm_cfg()
    state = MODELS.build(cfg).state_dict()
    converted, description = mpm_to_cls_checkpoint(dict(state_dict=state), cfg)
    bypass = sum(key.startswith('part_head.') for key in state)
    assert description == (f'model weights (the checkpoint has no EMA); left behind: {bypass} bypass tensors and the '
                           'backbone outputs only the bypass reads (backbone.norm1, backbone.norm2)')
    assert sorted(set(state) - set(converted['state_dict'])) == sorted(
        key for key in state if key.startswith(('part_head.', 'backbone.norm1.', 'backbone.norm2.')))


def test_plain_classifier_cfg_keeps_the_last_stage_only():
    cfg = small_convnext_mpm_cfg()
    for given in [[1, 2, 3], [1, 2, -1], [2, 3], [3]]:  # lists: ConvNeXt normalises -1 in place
        cfg.backbone.out_indices = given
        plain = plain_classifier_cfg(cfg)
        assert tuple(plain.backbone.out_indices) == (3, ) and cfg.backbone.out_indices == given  # input untouched
        assert plain.type == 'ImageClassifier' and 'part_head' not in plain and 'attack' not in plain
    del cfg.backbone['out_indices'], cfg['attack']  # a backbone's default outputs; no attack key
    plain = plain_classifier_cfg(cfg)
    assert 'out_indices' not in plain.backbone and 'part_head' not in plain and 'attack' not in plain
