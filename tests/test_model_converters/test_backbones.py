"""torchvision / timm ImageNet weights -> mmpretrain classifiers (ResNet, WRN-50-2, ConvNeXt-T, Swin-T): converted
random-weight models give the original library's logits; timm training checkpoints give their EMA weights; a checkpoint
of another architecture is refused."""
import argparse

import pytest
import timm
import torch
import torchvision
from mmengine.runner import load_checkpoint

from mmpart.models.utils.checkpoint_conversion import ForeignCheckpointError
from mmpart.models.utils.checkpoint_layouts import ARCHITECTURES, SOURCE_ARCHITECTURES
from mmpart.registry import MODELS
from mmpart.utils import register_all_modules

from .helpers import assert_logits_close, images, no_initialisers, randomise, run_converter


@pytest.fixture(scope='module', autouse=True)
def _fast_models():
    register_all_modules()
    with no_initialisers():
        yield


def source_model(library: str, arch: str) -> torch.nn.Module:
    if library == 'timm':
        return timm.create_model(arch, pretrained=False)
    return getattr(torchvision.models, arch)()


def converted_model(library: str, arch: str, path) -> torch.nn.Module:
    model_cfg, _ = ARCHITECTURES[SOURCE_ARCHITECTURES[library][arch][0]]
    model = MODELS.build(model_cfg).eval()
    load_checkpoint(model, str(path), strict=True, logger='silent')
    return model


# ResNet at 64 px; Swin at the 224 px its window layout is built for (mmpretrain pads other sizes, timm does not)
# (torchvision's wide_resnet50_2 is checked by logits in test_robustbench.py; timm's has its keys and shapes, below)
CASES = [('torchvision', 'resnet50', 64), ('torchvision', 'convnext_tiny', 64), ('torchvision', 'swin_t', 224),
         ('timm', 'resnet50', 64), ('timm', 'convnext_tiny', 64), ('timm', 'swin_tiny_patch4_window7_224', 224)]


def test_timm_and_torchvision_wide_resnet_have_the_same_tensors():
    shapes = [{k: v.shape for k, v in source_model(library, 'wide_resnet50_2').state_dict().items()
               if not k.endswith('num_batches_tracked')} for library in ('timm', 'torchvision')]
    assert shapes[0] == shapes[1]


@pytest.mark.parametrize('library, arch, size', CASES)
def test_converted_logits_equal_the_library(library, arch, size, tmp_path, capsys):
    source = randomise(source_model(library, arch))
    if arch == 'resnet50' and library == 'timm':  # a timm training checkpoint (arguments, raw and EMA weights):
        # the EMA weights are converted
        raw = {k: torch.zeros_like(v) if v.is_floating_point() else v for k, v in source.state_dict().items()}
        torch.save(dict(epoch=3, arch=arch, args=argparse.Namespace(model=arch, lr=0.1), state_dict=raw,
                        state_dict_ema=source.state_dict()), tmp_path / 'src.pth')
    else:
        torch.save(source.state_dict(), tmp_path / 'src.pth')
    out = run_converter(f'{library}_to_mmpart', [tmp_path / 'src.pth', tmp_path / 'dst.pth', '--arch', arch], capsys)
    assert ("checkpoint['state_dict_ema']" if arch == 'resnet50' and library == 'timm' else 'the whole file') in out
    assert 'mapped' in out and 'for: ' in out
    x = images(size, count=1 if size > 64 else 2)
    with torch.no_grad():
        expected = source(x)
        actual = converted_model(library, arch, tmp_path / 'dst.pth')(x, mode='tensor')
    assert_logits_close(actual, expected)


def test_swin_patch_merging_order_matters(tmp_path):
    """Without the reordering of the patch-merging weights for nn.Unfold the logits differ: the test above can fail."""
    from mmpart.models.utils import checkpoint_layouts
    source = randomise(source_model('torchvision', 'swin_t'))
    torch.save(source.state_dict(), tmp_path / 'src.pth')
    key_map = checkpoint_layouts.TORCHVISION_SWIN
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(SOURCE_ARCHITECTURES['torchvision'], 'swin_t',
                      ('swin_tiny', type(key_map)(key_map.source, key_map.rules, key_map.left_behind, key_map.derived)))
        run_converter('torchvision_to_mmpart', [tmp_path / 'src.pth', tmp_path / 'dst.pth', '--arch', 'swin_t'])
    x = images(224, count=1)
    with torch.no_grad():
        actual = converted_model('torchvision', 'swin_t', tmp_path / 'dst.pth')(x, mode='tensor')
        assert (actual - source(x)).abs().max() > 1e-2 * source(x).abs().max()


def test_another_architecture_is_refused(tmp_path, capsys):
    torch.save(torchvision.models.resnet18().state_dict(), tmp_path / 'r18.pth')
    with pytest.raises(ForeignCheckpointError) as error:
        run_converter('torchvision_to_mmpart', [tmp_path / 'r18.pth', tmp_path / 'dst.pth', '--arch', 'resnet50'])
    message = str(error.value)
    assert message.startswith(f'{tmp_path / "r18.pth"}: not a torchvision/timm ResNet checkpoint of a resnet50')
    assert 'missing' in message and 'backbone.layer1.0.conv3.weight' in message and 'shape mismatch' in message
    torch.save(source_model('timm', 'convnext_tiny').state_dict(), tmp_path / 'convnext.pth')
    with pytest.raises(ForeignCheckpointError, match='tensors of the checkpoint that no rule maps.*stem.0.weight'):
        run_converter('timm_to_mmpart', [tmp_path / 'convnext.pth', tmp_path / 'dst.pth', '--arch', 'resnet50'])
    assert not (tmp_path / 'dst.pth').exists()
