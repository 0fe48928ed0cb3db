"""mmpart: part-based robust image recognition on the OpenMMLab stack."""
import os
import os.path as osp
import shutil
import sys
from pathlib import Path

from setuptools import find_packages, setup


def read_requirements(name: str) -> list[str]:
    """Requirement lines of ``requirements/<name>`` without comments."""
    lines = Path(__file__).parent.joinpath('requirements', name).read_text().splitlines()
    return [line.split('#')[0].strip() for line in lines if line.split('#')[0].strip()]


def read_version() -> str:
    """``__version__`` of ``mmpart/version.py``."""
    namespace: dict = {}
    exec(Path(__file__).parent.joinpath('mmpart', 'version.py').read_text(), namespace)
    return namespace['__version__']


# what `mim train/test/run mmpart ...` finds in mmpart/.mim/ (as mmpretrain/mmdet/mmseg package them)
MIM_FILES = ('configs', 'tools', 'demo', 'model-index.yml')


def add_mim_extension() -> None:
    """Put configs, tools, demo and the model index into ``mmpart/.mim`` for OpenMMLab's ``mim``.

    Copied for wheels and sdists (``pip install .``, ``python -m build``), symlinked for editable installs
    (``pip install -e .``: setuptools' ``editable_wheel``; ``setup.py develop``), as OpenMMLab packages do. mim
    looks in ``<location of the mmpart distribution>/mmpart/.mim``, which for a PEP 660 editable install is
    site-packages: ``tools/misc/install.sh`` (``make install``) links ``site-packages/mmpart/.mim`` to these links.
    """
    if 'develop' in sys.argv or 'editable_wheel' in sys.argv:
        mode = 'symlink'
    elif 'sdist' in sys.argv or 'bdist_wheel' in sys.argv:
        mode = 'copy'
    else:
        return
    repo = osp.dirname(osp.abspath(__file__))
    mim_path = osp.join(repo, 'mmpart', '.mim')
    os.makedirs(mim_path, exist_ok=True)
    for name in MIM_FILES:
        src, dst = osp.join(repo, name), osp.join(mim_path, name)
        if not osp.exists(src):
            continue
        if osp.islink(dst) or osp.isfile(dst):
            os.remove(dst)
        elif osp.isdir(dst):
            shutil.rmtree(dst)
        if mode == 'symlink':
            os.symlink(osp.relpath(src, mim_path), dst)
        elif osp.isdir(src):
            shutil.copytree(src, dst, ignore=shutil.ignore_patterns('__pycache__', '*.pyc'))
        else:
            shutil.copyfile(src, dst)


add_mim_extension()
setup(
    name='mmpart',
    version=read_version(),
    description='Part-based robust image recognition (PartImageNet++, MPM) on OpenMMLab',
    long_description=Path(__file__).parent.joinpath('README.md').read_text(),
    long_description_content_type='text/markdown',
    packages=find_packages(exclude=('configs', 'tools', 'tests', 'tests.*', 'benchmarks', 'demo')),
    include_package_data=True,
    python_requires='>=3.9',
    install_requires=read_requirements('runtime.txt') + read_requirements('mminstall.txt'),
    extras_require={
        'optional': read_requirements('optional.txt'),
        'tests': read_requirements('tests.txt'),
    },
    license='Apache License 2.0',
)
