"""The pinned stack is installed with mmcv's compiled ops, and they run on the CPU."""
import importlib.metadata
import re
import sys
import sysconfig
from pathlib import Path

import pytest
import torch
from packaging.requirements import Requirement

REPO = Path(__file__).parents[1]


def test_versions():
    import mmcv
    import mmdet
    import mmengine
    import mmpretrain
    import mmseg
    import numpy

    assert (mmcv.__version__, mmdet.__version__, mmengine.__version__) == ('2.1.0', '3.3.0', '0.10.7')
    assert (mmpretrain.__version__, mmseg.__version__) == ('1.2.0', '1.2.2')
    assert numpy.__version__.startswith('1.')


def test_transformers_not_installed():
    # absent, or hidden by the placeholder of tools/misc/install.sh --system-torch (a layered venv whose host
    # environment has it): either way mmpretrain does not see it and nothing imports it
    import importlib.util

    from mmpretrain.utils.dependency import WITH_MULTIMODAL

    assert not WITH_MULTIMODAL
    if importlib.util.find_spec('transformers') is not None:
        with pytest.raises(ImportError, match='transformers is shadowed in this environment'):
            import transformers  # noqa: F401


def test_roi_align_cpu():
    from mmcv.ops import RoIAlign

    feat = torch.arange(16, dtype=torch.float32).reshape(1, 1, 4, 4)
    rois = torch.tensor([[0, 0.0, 0.0, 4.0, 4.0]])
    out = RoIAlign(output_size=2, spatial_scale=1.0, sampling_ratio=1, aligned=False)(feat, rois)
    # aligned=False: one sample at each 2x2 bin centre, (y, x) = (1, 1), (1, 3), (3, 1), (3, 3), which
    # fall on pixel centres, so bilinear sampling returns those pixels exactly
    assert out.shape == (1, 1, 2, 2)
    assert torch.equal(out, torch.tensor([[[[5.0, 7.0], [13.0, 15.0]]]]))


def test_nms_cpu():
    from mmcv.ops import nms

    boxes = torch.tensor([[0, 0, 10, 10], [1, 1, 11, 11], [20, 20, 30, 30]], dtype=torch.float32)
    scores = torch.tensor([0.9, 0.8, 0.7])
    dets, keep = nms(boxes, scores, iou_threshold=0.5)
    assert keep.tolist() == [0, 2]
    assert torch.allclose(dets[:, 4], torch.tensor([0.9, 0.7]))


def read_constraints() -> dict:
    """``{normalised name: version}`` of requirements/constraints.txt."""
    pins = {}
    for line in (REPO / 'requirements' / 'constraints.txt').read_text().splitlines():
        line = line.split('#')[0].strip()
        if line:
            name, version = line.split('==')
            pins[canonical(name)] = version
    return pins


def canonical(name: str) -> str:
    return re.sub(r'[-_.]+', '-', name).lower()


@pytest.mark.skipif(Path(sys.prefix).resolve() != (REPO / '.venv').resolve(),
                    reason="checks the project's .venv (make install), not an environment of the user's")
def test_venv_matches_constraints():
    # tools/misc/install.sh installs under requirements/constraints.txt: a fresh machine gets what CI tested,
    # and nothing is installed that the file does not pin (regenerate with tools/misc/freeze_constraints.sh)
    pins = read_constraints()
    # the venv's own site-packages only: once pkg_resources is imported, sys.path also holds setuptools' vendored
    # packages, whose metadata would shadow the installed versions
    site_packages = sysconfig.get_paths()['purelib']
    installed = {canonical(d.metadata['Name']): d.version
                 for d in importlib.metadata.distributions(path=[site_packages])}
    installed.pop('mmpart')
    assert installed == pins


def test_constraints_pin_the_loose_requirements():
    pins = read_constraints()
    for name in ('torch.txt', 'mminstall.txt', 'runtime.txt', 'optional.txt', 'tests.txt'):
        for line in (REPO / 'requirements' / name).read_text().splitlines():
            requirement = line.split('#')[0].strip()
            if requirement:
                req = Requirement(requirement)
                assert canonical(req.name) in pins, f'{name}: {requirement} is not pinned in constraints.txt'
                assert req.specifier.contains(pins[canonical(req.name)]), (name, requirement)
