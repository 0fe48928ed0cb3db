"""The model zoo metadata: model-index.yml imports every family's metafile, every config named there exists and
builds, numbers without trained weights are marked as reference numbers, parameter counts are the model's."""
from pathlib import Path
from unittest import mock

import modelindex
import pytest
import yaml
from mmengine.config import Config
from mmengine.registry import DefaultScope

from mmpart.registry import MODELS
from mmpart.utils import register_all_modules

REPO = Path(__file__).resolve().parents[1]
FAMILIES = sorted(p.parent.name for p in (REPO / 'configs').glob('*/*.py') if p.parent.name != '_base_')


@pytest.fixture(scope='module')
def index():
    return modelindex.load(str(REPO / 'model-index.yml'))


@pytest.fixture(scope='module')
def metafiles():
    imports = yaml.safe_load((REPO / 'model-index.yml').read_text())['Import']
    return {path: yaml.safe_load((REPO / path).read_text()) for path in imports}


def test_every_config_family_has_a_readme_and_an_imported_metafile(metafiles):
    assert FAMILIES, 'no config families found'
    for family in sorted(set(FAMILIES)):
        assert (REPO / 'configs' / family / 'README.md').is_file(), f'configs/{family}/README.md missing'
        assert f'configs/{family}/metafile.yml' in metafiles, f'configs/{family}/metafile.yml not in model-index.yml'


def test_every_config_is_in_the_model_zoo(index):
    # synthetic (demo/test scale) configs, test-time variants (*_ms-flip) of a listed model and the configs that score
    # an MPM checkpoint's bypass (mpm-bypass_*, no model of their own) are the exceptions
    listed = {model.config for model in index.models}
    for path in sorted((REPO / 'configs').glob('*/*.py')):
        name = path.relative_to(REPO).as_posix()
        if (path.parent.name != '_base_' and 'synthetic' not in path.stem and not path.stem.endswith('_ms-flip')
                and not path.stem.startswith('mpm-bypass_')):
            assert name in listed, f'{name} is not in any metafile.yml'


def test_names_collections_and_paths_are_consistent(index, metafiles):
    names = [m.name for m in index.models]
    assert len(names) == len(set(names)), 'duplicate model names'
    collections = {c.name: c for c in index.collections}
    for collection in collections.values():
        assert (REPO / collection.readme).is_file(), f'{collection.name}: README {collection.readme} missing'
    for model in index.models:
        assert model.in_collection in collections, f'{model.name}: unknown collection {model.in_collection}'
        assert (REPO / model.config).is_file(), f'{model.name}: config {model.config} missing'
        assert Path(model.config).stem == model.name, f'{model.name}: named differently from {model.config}'


def test_results_without_trained_weights_are_marked_as_reference(metafiles):
    for path, meta in metafiles.items():
        for model in meta['Models']:
            assert model.get('Weights') in ('', None) or str(model['Weights']).startswith('http'), model['Name']
            if not model.get('Weights') and model.get('Results'):
                # marked on each result, and in the metadata that `mim search` shows
                assert all('Reference' in result for result in model['Results']), model['Name']
                assert 'Reference Results' in model['Metadata'], f'{path}: {model["Name"]}: no reference note'


@pytest.fixture(scope='module')
def built_models(index):
    """Every model of the index built from its config (initialisers skipped: this checks that the configs
    build, not the initial values, and halves the time)."""
    register_all_modules()
    initialisers = ('kaiming_uniform_', 'kaiming_normal_', 'uniform_', 'normal_', 'trunc_normal_', 'constant_',
                    'xavier_uniform_')
    patches = [mock.patch(f'torch.nn.init.{name}', lambda tensor, *args, **kwargs: tensor) for name in initialisers]
    for patch in patches:
        patch.start()
    try:
        models = {}
        for model in index.models:
            cfg = Config.fromfile(str(REPO / model.config))
            with DefaultScope.overwrite_default_scope('mmpart'):
                models[model.name] = MODELS.build(cfg.model)
        return models
    finally:
        for patch in patches:
            patch.stop()


def test_every_config_in_the_index_builds(index, built_models):
    assert set(built_models) == {m.name for m in index.models}


def test_parameter_counts_are_the_deployed_models(index, built_models):
    checked = 0
    for model in index.models:
        listed = (model.metadata.data or {}).get('Parameters') if model.metadata else None
        if listed is None:
            continue
        built = built_models[model.name]
        bypass = getattr(built, 'bypass_prefixes', ())
        count = sum(p.numel() for name, p in built.named_parameters() if not name.startswith(bypass or ('\0', )))
        # within 0.01%: deployed ConvNeXt / Swin MPMs also leave out the output norms only the bypass reads
        assert abs(count - listed) <= 1e-4 * listed, f'{model.name}: {count} parameters, the metafile says {listed}'
        checked += 1
    assert checked >= 7  # the MPM and baseline classifiers
