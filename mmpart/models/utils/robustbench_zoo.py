"""The RobustBench ImageNet entries mmpart converts: architecture, preprocessing and config of each, and how a
downloaded checkpoint becomes an mmpretrain classifier's state dict exactly as ``robustbench.utils.load_model``
reads it (robustbench 1.1.1, ``model_zoo/imagenet.py``)."""
import re
from typing import Dict, Mapping, NamedTuple

import torch

from .checkpoint_conversion import ForeignCheckpointError, KeyMap, unwrap_state_dict
from .checkpoint_layouts import RESNET

__all__ = ['IMAGENET_MEAN', 'IMAGENET_STD', 'ROBUSTBENCH_MODELS', 'ROBUSTBENCH_RESNET', 'RobustBenchEntry',
           'robustbench_state_dict']

#: RobustBench's ``normalize_model`` mean and std for every entry below (``imagenet.py``: mu, sigma); the configs'
#: data_preprocessor holds them × 255, since mmpart's pipeline gives 0-255 pixels where RobustBench's gives 0-1
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


class RobustBenchEntry(NamedTuple):
    """One RobustBench ImageNet model: threat model, torchvision architecture, preprocessing, mmpart config."""

    threat_model: str  # 'Linf' or 'corruptions'
    arch: str  # key of checkpoint_layouts.ARCHITECTURES
    preprocessing: str  # robustbench.data.PREPROCESSINGS key
    config: str


def _entry(threat_model: str, arch: str, name: str, preprocessing: str = 'Res256Crop224') -> RobustBenchEntry:
    return RobustBenchEntry(threat_model, arch, preprocessing, f'configs/robustbench/robustbench_{name}.py')


ROBUSTBENCH_MODELS: Dict[str, RobustBenchEntry] = {
    'Wong2020Fast': _entry('Linf', 'resnet50', 'wong2020fast', 'Crop288'),
    'Engstrom2019Robustness': _entry('Linf', 'resnet50', 'engstrom2019robustness'),
    'Salman2020Do_R50': _entry('Linf', 'resnet50', 'salman2020do-r50'),
    'Salman2020Do_R18': _entry('Linf', 'resnet18', 'salman2020do-r18'),
    'Salman2020Do_50_2': _entry('Linf', 'wide_resnet50_2', 'salman2020do-50-2'),
    'Standard_R50': _entry('Linf', 'resnet50', 'standard-r50'),  # torchvision's IMAGENET1K_V1 weights
    'Geirhos2018_SIN': _entry('corruptions', 'resnet50', 'geirhos2018-sin'),
    'Geirhos2018_SIN_IN': _entry('corruptions', 'resnet50', 'geirhos2018-sin-in'),
    'Geirhos2018_SIN_IN_IN': _entry('corruptions', 'resnet50', 'geirhos2018-sin-in-in'),
    'Hendrycks2020AugMix': _entry('corruptions', 'resnet50', 'hendrycks2020augmix'),
    'Hendrycks2020Many': _entry('corruptions', 'resnet50', 'hendrycks2020many'),  # DeepAugment + AugMix
}

_NORMALISATION = r'(?:attacker\.)?(?:normalize|normalizer)\.(?:new_)?(?:mean|std)'
#: RobustBench files hold the torchvision model (``module.`` / ``model.`` prefixes removed as RobustBench does);
#: the authors' originals from the ``robustness`` library (Engstrom, Salman) also hold its normaliser and the
#: attacker's second reference to the same model
ROBUSTBENCH_RESNET = KeyMap(
    'RobustBench (torchvision ResNet)', rules=RESNET.rules,
    left_behind=[(_NORMALISATION, 'input normalisation, checked equal to RobustBench\'s: the config\'s '
                  'data_preprocessor applies it'),
                 (r'attacker\.model\..+', 'the robustness library\'s attacker: a second reference to the same model')])


def _check_normalisation(state: Mapping[str, torch.Tensor], path: str) -> None:
    """Normalisation tensors in the file must be RobustBench's (it ignores them and applies its own)."""
    expected = dict(mean=torch.tensor(IMAGENET_MEAN), std=torch.tensor(IMAGENET_STD))
    for key, value in state.items():
        if re.fullmatch(_NORMALISATION, key):
            reference = expected['mean' if key.endswith('mean') else 'std']
            if value.numel() != 3 or not torch.allclose(value.double().flatten(), reference.double(), atol=1e-6):
                raise ForeignCheckpointError(
                    f'{path}: {key} = {value.flatten().tolist()}, but RobustBench evaluates this entry with '
                    f'{reference.tolist()}: is this the checkpoint of another model?')


def robustbench_state_dict(checkpoint: Mapping, path: str) -> Dict[str, torch.Tensor]:
    """The model tensors of a RobustBench ImageNet file, keyed as torchvision's model, as ``load_model`` reads it:
    ``checkpoint['state_dict']`` if present (``['model']`` for the robustness library's), else the checkpoint;
    ``module.`` then ``model.`` prefixes removed; normalisation tensors checked against RobustBench's."""
    state, _ = unwrap_state_dict(checkpoint, path, containers=('state_dict', 'model'), prefixes=('module.', 'model.'))
    _check_normalisation(state, path)
    return state
