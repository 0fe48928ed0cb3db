"""A virtual environment layered over another Python environment, for tools/misc/install.sh --system-torch.

Run with the layered venv's own Python (standard library only: the venv is fresh):

    VENV/bin/python tools/misc/env_layer.py layer VENV PATHS_FILE     # see the host's site folders after VENV's own
    VENV/bin/python tools/misc/env_layer.py shadow VENV NAME REASON   # hide the host's NAME inside VENV
    VENV/bin/python tools/misc/env_layer.py is-shadow NAME            # exit 0 if NAME resolves to such a placeholder

``python -m venv --system-site-packages`` reaches only a base installation's site-packages, not those of another
venv or of a user site; a ``.pth`` file in the venv that adds the host's site folders (with
:func:`site.addsitedir`, so their own ``.pth`` files work as there) reaches any environment. The folders come after
the venv's site-packages, so what pip installs into the venv shadows the host's copy, and pip leaves the host's
copies alone (they lie outside the venv).

A shadow is a package ``NAME`` whose import raises ``ImportError(REASON)`` plus distribution metadata at version
``0+mmpart.shadow`` (mmpretrain tests ``transformers>=4.28.0`` through its metadata before importing its multimodal
models, which fail with today's transformers); pip lists it and ``pip uninstall NAME`` removes it.
"""
import argparse
import base64
import hashlib
import importlib.metadata
import importlib.util
import os
import sys
import sysconfig
from pathlib import Path
from typing import List, Optional

LAYER_PTH = '_mmpart_layer.pth'
SHADOW_VERSION = '0+mmpart.shadow'


def _site_packages(venv: Path) -> Path:
    """The running interpreter's site-packages, checked to be ``venv``'s."""
    if Path(sys.prefix).resolve() != venv.resolve():
        raise SystemExit(f'[env_layer] run this with {venv}/bin/python, not {sys.executable}')
    return Path(sysconfig.get_paths()['purelib'])


def layer(venv: Path, paths_file: Path) -> Path:
    """Write the ``.pth`` that appends the host's site folders (one per line of ``paths_file``)."""
    site_packages = _site_packages(venv)
    folders = [line.strip() for line in paths_file.read_text().splitlines() if line.strip()]
    own = {site_packages.resolve()}
    folders = [f for f in folders if Path(f).resolve() not in own]
    pth = site_packages / LAYER_PTH
    tmp = pth.with_suffix('.tmp')
    # a .pth line that starts with "import" is executed (by exec, in a scope a comprehension would not see);
    # addsitedir also runs the host folders' own .pth files
    tmp.write_text(f'import site; list(map(site.addsitedir, {folders!r}))\n')
    os.replace(tmp, pth)
    return pth


def _record_line(path: Path, root: Path) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(path.read_bytes()).digest()).rstrip(b'=').decode()
    return f'{path.relative_to(root).as_posix()},sha256={digest},{path.stat().st_size}'


def shadow(venv: Path, name: str, reason: str) -> Path:
    """Install the placeholder package and metadata for ``name`` into ``venv``."""
    site_packages = _site_packages(venv)
    package = site_packages / name
    if package.exists() and not is_shadow(name):
        raise SystemExit(f'[env_layer] {package} exists and is not a placeholder: not replacing it')
    package.mkdir(exist_ok=True)
    init = package / '__init__.py'
    init.write_text(f'"""Placeholder: {name} is hidden in this environment."""\n'
                    f'raise ImportError({name!r} + " is shadowed in this environment (" + {reason!r} + "); "\n'
                    f'                  "remove the placeholder with: python -m pip uninstall {name}")\n')
    info = site_packages / f'{name}-{SHADOW_VERSION}.dist-info'
    info.mkdir(exist_ok=True)
    (info / 'METADATA').write_text(f'Metadata-Version: 2.1\nName: {name}\nVersion: {SHADOW_VERSION}\n'
                                   f'Summary: placeholder that hides {name} ({reason})\n')
    (info / 'INSTALLER').write_text('mmpart-install\n')
    (info / 'top_level.txt').write_text(f'{name}\n')
    files = [init, info / 'METADATA', info / 'INSTALLER', info / 'top_level.txt']
    (info / 'RECORD').write_text(''.join(_record_line(f, site_packages) + '\n' for f in files)
                                 + f'{(info / "RECORD").relative_to(site_packages).as_posix()},,\n')
    return package


def is_shadow(name: str) -> bool:
    """Whether ``name`` imports from a placeholder written by :func:`shadow`."""
    spec = importlib.util.find_spec(name)
    if spec is None or spec.origin is None:
        return False
    try:
        dist = importlib.metadata.distribution(name)
    except importlib.metadata.PackageNotFoundError:
        return False
    return dist.version == SHADOW_VERSION and Path(spec.origin).parent == Path(dist.locate_file(name))


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    commands = parser.add_subparsers(dest='command', required=True)
    lay = commands.add_parser('layer')
    lay.add_argument('venv', type=Path)
    lay.add_argument('paths_file', type=Path)
    sha = commands.add_parser('shadow')
    sha.add_argument('venv', type=Path)
    sha.add_argument('name')
    sha.add_argument('reason')
    chk = commands.add_parser('is-shadow')
    chk.add_argument('name')
    args = parser.parse_args(argv)
    if args.command == 'layer':
        layer(args.venv, args.paths_file)
    elif args.command == 'shadow':
        shadow(args.venv, args.name, args.reason)
    else:
        return 0 if is_shadow(args.name) else 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
