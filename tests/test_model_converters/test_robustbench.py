"""RobustBench ImageNet checkpoints -> mmpart: every listed entry's constructor is the architecture its config builds;
converted checkpoints (RobustBench's files, and the robustness library's originals) give RobustBench's logits; foreign
files are refused; the configs' preprocessing gives RobustBench's input tensor on the same JPEG."""
import inspect

import numpy as np
import pytest
import torch
import torchvision
from mmcv.transforms import Compose
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmengine.runner import load_checkpoint
from PIL import Image

from mmpart.models.utils.checkpoint_conversion import ForeignCheckpointError, target_state_dict
from mmpart.models.utils.checkpoint_layouts import ARCHITECTURES
from mmpart.models.utils.robustbench_zoo import IMAGENET_MEAN, IMAGENET_STD, ROBUSTBENCH_MODELS

from .helpers import (
    REPO,
    assert_logits_close,
    build_config_model,
    images,
    import_robustbench_zoo,
    mmpart_logits,
    no_initialisers,
    randomise,
    run_converter,
)


@pytest.fixture(scope='module')
def zoo():
    return import_robustbench_zoo()


@pytest.fixture(scope='module', autouse=True)
def _fast_models():
    with no_initialisers():
        yield


def entry_constructor(zoo, name):
    """The entry's architecture constructor; Standard_R50's asks torchvision for pretrained weights (a download), so
    it is rebuilt the same way without them (checked against its source)."""
    threat = {'Linf': zoo.ThreatModel.Linf, 'corruptions': zoo.ThreatModel.corruptions}
    constructor = zoo.imagenet_models[threat[ROBUSTBENCH_MODELS[name].threat_model]][name]['model']
    if 'pretrained=True' in inspect.getsource(constructor):
        assert 'normalize_model(pt_models.resnet50(pretrained=True), mu, sigma)' in inspect.getsource(constructor)
        return lambda: zoo.normalize_model(torchvision.models.resnet50(), zoo.mu, zoo.sigma)
    return constructor


def test_every_entry_is_listed_with_robustbench_architecture_and_preprocessing(zoo):
    targets = {}
    for name, entry in ROBUSTBENCH_MODELS.items():
        threat = getattr(zoo.ThreatModel, entry.threat_model)
        assert zoo.imagenet_models[threat][name]['preprocessing'] == entry.preprocessing, name
        model = entry_constructor(zoo, name)()
        assert list(model._modules) == ['normalize', 'model'], name  # normalize_model(architecture, mu, sigma)
        assert torch.allclose(model.normalize.mean.flatten(), torch.tensor(IMAGENET_MEAN))
        assert torch.allclose(model.normalize.std.flatten(), torch.tensor(IMAGENET_STD))
        expected = getattr(torchvision.models, entry.arch)().state_dict()
        assert {k: v.shape for k, v in model.model.state_dict().items()} == {k: v.shape for k, v in expected.items()}
        # the entry's config builds the architecture the converter fills
        if entry.arch not in targets:
            targets[entry.arch] = {k: v.shape for k, v in target_state_dict(ARCHITECTURES[entry.arch][0]).items()}
        built = build_config_model(entry.config).state_dict()
        assert {k: v.shape for k, v in built.items() if not k.startswith('data_preprocessor.')} == targets[entry.arch]


def robustness_library_file(inner: dict) -> dict:
    """The robustness library's checkpoint layout (Engstrom2019, Salman2020 originals): the model, its normaliser and
    the attacker's second reference to the same model, under DataParallel."""
    model = {f'module.model.{k}': v for k, v in inner.items()}
    model.update({f'module.attacker.model.{k}': v for k, v in inner.items()})
    model.update({'module.normalizer.new_mean': torch.tensor(IMAGENET_MEAN).view(3, 1, 1),
                  'module.normalizer.new_std': torch.tensor(IMAGENET_STD).view(3, 1, 1)})
    return dict(model=model, epoch=90)


@pytest.mark.parametrize('name, layout', [('Salman2020Do_R50', 'normalize_model'),
                                          ('Salman2020Do_R18', 'robustness library'),
                                          ('Salman2020Do_50_2', 'state_dict+module')])
def test_converted_logits_equal_robustbench(zoo, name, layout, tmp_path, capsys):
    source = entry_constructor(zoo, name)().eval()
    randomise(source.model)  # not the normaliser: RobustBench's mean and std stay
    inner = source.model.state_dict()
    if layout == 'state_dict+module':
        saved = dict(state_dict={f'module.{k}': v for k, v in inner.items()})
    elif layout == 'normalize_model':
        saved = source.state_dict()  # normalize.mean / std + model.*
    else:
        saved = robustness_library_file(inner)
    torch.save(saved, tmp_path / 'src.pt')
    out = run_converter('robustbench_to_mmpart', [tmp_path / 'src.pt', tmp_path / 'dst.pth', '--model', name], capsys)
    entry = ROBUSTBENCH_MODELS[name]
    assert f'config: {entry.config}' in out and f'mapped {len(inner)} tensors' in out
    if layout == 'robustness library':
        assert 'left behind 2 (input normalisation' in out
        assert f'left behind {len(inner)} (the robustness library' in out

    model = build_config_model(entry.config)
    load_checkpoint(model, str(tmp_path / 'dst.pth'), strict=True)
    x = images(64)
    with torch.no_grad():
        expected = source(x)
    assert_logits_close(mmpart_logits(model, x), expected)


def test_foreign_checkpoints_are_refused(zoo, tmp_path):
    # a ResNet-18 checkpoint given as Salman2020Do_R50, and a model trained with another normalisation
    out = tmp_path / 'out.pth'
    torch.save(torchvision.models.resnet18().state_dict(), tmp_path / 'r18.pt')
    with pytest.raises(ForeignCheckpointError, match=r'r18\.pt: not a RobustBench .* resnet50 \(Salman2020Do_R50\)'):
        run_converter('robustbench_to_mmpart', [tmp_path / 'r18.pt', out, '--model', 'Salman2020Do_R50'])
    other = robustness_library_file(torchvision.models.resnet18().state_dict())
    other['model']['module.normalizer.new_std'] = torch.full((3, 1, 1), 0.5)
    torch.save(other, tmp_path / 'other.pt')
    with pytest.raises(ForeignCheckpointError, match=r'other\.pt: normalizer\.new_std = \[0\.5, 0\.5, 0\.5\]'):
        run_converter('robustbench_to_mmpart', [tmp_path / 'other.pt', out, '--model', 'Salman2020Do_R18'])
    assert not out.exists() and not list(tmp_path.glob('.out.pth*'))  # nothing written, no temporary left


@pytest.fixture(scope='module')
def jpegs(tmp_path_factory):
    """JPEGs of odd sizes, two of them smaller than 288 px along one edge (Crop288 pads them), one grayscale."""
    root, rng = tmp_path_factory.mktemp('robustbench_jpegs'), np.random.default_rng(0)
    smooth = (np.cumsum(rng.integers(-8, 9, (500, 500, 3)), axis=1) % 256).astype(np.uint8)
    paths = []
    for i, (h, w) in enumerate([(375, 500), (333, 221), (271, 301)]):
        paths.append(root / f'{i}.JPEG')
        Image.fromarray(smooth[:h, :w]).save(paths[-1], quality=90)
    paths.append(root / 'gray.JPEG')
    Image.fromarray(smooth[:300, :451, 0]).save(paths[-1], quality=90)
    return paths


@pytest.mark.parametrize('name', ['Salman2020Do_R50', 'Wong2020Fast'])
def test_config_pipeline_gives_robustbench_input(zoo, jpegs, name):
    """The [0, 1] tensors are bit-equal; after normalisation they agree to float32 rounding (RobustBench computes
    (x / 255 - mu) / sigma, the data preprocessor (x - 255 mu) / (255 sigma): ≤ 1 ulp apart)."""
    from robustbench.data import PREPROCESSINGS
    entry = ROBUSTBENCH_MODELS[name]
    cfg = Config.fromfile(str(REPO / entry.config))
    with DefaultScope.overwrite_default_scope('mmpart'):
        pipeline = Compose(cfg.test_dataloader.dataset.pipeline)
    model = build_config_model(entry.config)
    normalize = zoo.normalize_model(torch.nn.Identity(), zoo.mu, zoo.sigma)
    for path in jpegs:
        with Image.open(path) as img:  # torchvision's ImageFolder loader
            reference = PREPROCESSINGS[entry.preprocessing](img.convert('RGB'))
        packed = pipeline(dict(img_path=str(path)))['inputs']  # uint8 BGR, C×H×W
        torch.testing.assert_close(packed.flip(0).float() / 255, reference, rtol=0, atol=0)
        normalised = model.data_preprocessor(dict(inputs=[packed]), False)['inputs'][0]
        torch.testing.assert_close(normalised, normalize(reference[None])[0], rtol=0, atol=2e-6)
