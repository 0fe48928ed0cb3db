"""What an offline install needs from a wheelhouse, derived from requirements/constraints.txt.

Used by tools/misc/make_wheelhouse.sh (what to download) and tools/misc/install.sh --offline (is everything
there, before pip says so less clearly). Runs under any Python with pip (the install's fresh venv has nothing
else), so it imports only the standard library and pip's vendored ``packaging``.

    python tools/misc/wheelhouse.py requirements [--group stack|no-deps|source] [--torch-from-host]
    python tools/misc/wheelhouse.py constraints [--system-torch]
    python tools/misc/wheelhouse.py check DIR [--system-torch] [--ignore-installed]
    python tools/misc/wheelhouse.py manifest DIR --python X.Y [--platform TAG ...] [--torch-from-host]

The pins fall in three groups: ``source`` (mmcv: no wheel exists for this torch; built by
tools/misc/build_mmcv_wheel.sh from its sdist), ``no-deps`` (test oracles installed with ``--no-deps``: torchattacks,
whose metadata pins an old ``requests``, and the checkpoint converters' timm, robustbench and robustbench's two small
model-code imports, whose other requirements are for downloading models, which the tests never do) and ``stack``
(everything else, downloaded with its dependencies).
``--torch-from-host`` / ``--system-torch``: the target environment brings its own (CUDA) torch and torchvision,
so those, their CUDA runtime wheels (``nvidia-*``, ``cuda-*``, ``triton``) and the pins of torch's own
dependencies are left to it; the stack is pinned against the torch found there.
"""
import argparse
import importlib.metadata
import json
import os
import re
import sys
import tempfile
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Tuple

REPO = Path(__file__).resolve().parents[2]
CONSTRAINTS = REPO / 'requirements' / 'constraints.txt'
MANIFEST = 'mmpart-wheelhouse.json'
SOURCE = ('mmcv', )
NO_DEPS = ('torchattacks', 'timm', 'robustbench', 'geotorch', 'torchdiffeq')
#: what a target environment with its own torch provides: torch, torchvision and torch's CUDA runtime wheels
TORCH_FAMILY = re.compile(r'^(torch|torchvision|triton|nvidia-.+|cuda-.+)$')


def canonical(name: str) -> str:
    """PEP 503 normalised project name."""
    return re.sub(r'[-_.]+', '-', name).lower()


def read_pins(path: Path = CONSTRAINTS) -> List[Tuple[str, str]]:
    """``(name, version)`` of every ``name==version`` line of a constraints file, in file order."""
    pins = []
    for number, line in enumerate(path.read_text().splitlines(), 1):
        line = line.split('#')[0].strip()
        if not line:
            continue
        name, sep, version = line.partition('==')
        if not sep or not name.strip() or not version.strip():
            raise ValueError(f'{path}:{number}: expected name==version, got {line!r}')
        pins.append((name.strip(), version.strip()))
    return pins


def group_of(name: str) -> str:
    key = canonical(name)
    return 'source' if key in SOURCE else 'no-deps' if key in NO_DEPS else 'stack'


def requirements(group: str, torch_from_host: bool, pins: Iterable[Tuple[str, str]]) -> List[str]:
    """The ``name==version`` lines of one group, without torch's family when the target brings its own."""
    return [f'{name}=={version}' for name, version in pins
            if group_of(name) == group and not (torch_from_host and TORCH_FAMILY.match(canonical(name)))]


def host_torch() -> Dict[str, str]:
    """Versions of the torch and torchvision of this interpreter's environment, and the names torch requires.

    Raises:
        RuntimeError: torch or torchvision is missing (mmpretrain imports torchvision, whose build must match torch).
    """
    versions = {}
    for name in ('torch', 'torchvision'):
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            raise RuntimeError(f'{sys.executable}: --system-torch needs torch and torchvision installed in this '
                               f'environment, but {name} is not') from None
    return versions


def torch_requirement_names() -> List[str]:
    """Normalised names of what this environment's torch requires here (no extras, markers evaluated)."""
    from pip._vendor.packaging.requirements import Requirement

    requirements = [Requirement(line) for line in importlib.metadata.requires('torch') or []]
    return [canonical(r.name) for r in requirements if r.marker is None or r.marker.evaluate({'extra': ''})]


def effective_constraints(system_torch: bool, pins: List[Tuple[str, str]]) -> List[str]:
    """The constraint lines an install uses: the file's pins, or with ``system_torch`` the pins minus torch's
    family and torch's dependencies (the environment's torch decides those), plus ``torch`` and ``torchvision``
    pinned to the versions installed."""
    if not system_torch:
        return [f'{name}=={version}' for name, version in pins]
    host = host_torch()
    left_to_torch = set(torch_requirement_names())
    kept = [f'{name}=={version}' for name, version in pins
            if not TORCH_FAMILY.match(canonical(name)) and canonical(name) not in left_to_torch]
    return kept + [f'{name}=={version}' for name, version in host.items()]


def _distribution_files(folder: Path) -> Dict[Tuple[str, str], List[Path]]:
    """``{(canonical name, version): [wheel or sdist files]}`` of a folder."""
    from pip._vendor.packaging.utils import (
        InvalidSdistFilename,
        InvalidWheelFilename,
        parse_sdist_filename,
        parse_wheel_filename,
    )

    found: Dict[Tuple[str, str], List[Path]] = {}
    for path in sorted(folder.iterdir()):
        try:
            if path.name.endswith('.whl'):
                name, version = parse_wheel_filename(path.name)[:2]
            elif path.name.endswith(('.tar.gz', '.zip')):
                name, version = parse_sdist_filename(path.name)
            else:
                continue
        except (InvalidWheelFilename, InvalidSdistFilename):
            continue
        found.setdefault((canonical(name), str(version)), []).append(path)
    return found


def _installable(path: Path, supported: set) -> bool:
    """An sdist, or a wheel with a tag this interpreter supports."""
    from pip._vendor.packaging.utils import parse_wheel_filename

    return not path.name.endswith('.whl') or bool(parse_wheel_filename(path.name)[3] & supported)


def check(folder: Path, system_torch: bool, pins: List[Tuple[str, str]], ignore_installed: bool = False) -> List[str]:
    """Problems that would stop an offline install from ``folder`` with this interpreter: pins neither installed
    at that version (unless ``ignore_installed``: as for a fresh venv) nor in the folder as an installable file (a
    wheel for this Python and platform, or an sdist). An empty list means the folder holds everything."""
    from pip._vendor.packaging.tags import sys_tags
    from pip._vendor.packaging.version import Version

    if not folder.is_dir():
        return [f'{folder}: no such folder (make it with tools/misc/make_wheelhouse.sh)']
    files = _distribution_files(folder)
    supported = set(sys_tags())
    installed = {} if ignore_installed else {canonical(d.metadata['Name']): d.version
                                             for d in importlib.metadata.distributions() if d.metadata['Name']}
    problems = []
    for line in effective_constraints(system_torch, pins):
        name, version = line.split('==')
        key = (canonical(name), str(Version(version)))
        if key[0] in installed and str(Version(installed[key[0]])) == key[1]:
            continue
        candidates = files.get(key, [])
        if not candidates:
            problems.append(f'{name}=={version}: not in {folder}')
        elif not any(_installable(path, supported) for path in candidates):
            problems.append(f'{name}=={version}: {folder} has {", ".join(p.name for p in candidates)}, none for this '
                            f'Python ({next(iter(sys_tags()))})')
    return problems


def write_manifest(folder: Path, python: str, platforms: List[str], torch_from_host: bool) -> Path:
    """Record what the wheelhouse was made for (read by install.sh --offline and by people)."""
    manifest = dict(python=python, platforms=platforms or ['(those of the machine that made it)'],
                    torch_from_host=torch_from_host, constraints=[f'{n}=={v}' for n, v in read_pins()])
    fd, tmp = tempfile.mkstemp(dir=folder, prefix='.manifest.')
    with os.fdopen(fd, 'w') as f:
        json.dump(manifest, f, indent=1)
    os.replace(tmp, folder / MANIFEST)
    return folder / MANIFEST


def read_manifest(folder: Path) -> Optional[dict]:
    path = folder / MANIFEST
    return json.loads(path.read_text()) if path.is_file() else None


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    commands = parser.add_subparsers(dest='command', required=True)
    req = commands.add_parser('requirements', help='the name==version lines to download')
    req.add_argument('--group', choices=('stack', 'no-deps', 'source'), default='stack')
    req.add_argument('--torch-from-host', action='store_true')
    con = commands.add_parser('constraints', help='the constraint lines of an install with this interpreter')
    con.add_argument('--system-torch', action='store_true')
    chk = commands.add_parser('check', help='does DIR hold everything an offline install with this interpreter needs')
    chk.add_argument('dir', type=Path)
    chk.add_argument('--system-torch', action='store_true')
    chk.add_argument('--ignore-installed', action='store_true', help='as for a fresh venv')
    man = commands.add_parser('manifest', help='write DIR/' + MANIFEST)
    man.add_argument('dir', type=Path)
    man.add_argument('--python', required=True)
    man.add_argument('--platform', action='append', default=[])
    man.add_argument('--torch-from-host', action='store_true')
    args = parser.parse_args(argv)

    try:
        pins = read_pins()
        if args.command == 'requirements':
            print('\n'.join(requirements(args.group, args.torch_from_host, pins)))
        elif args.command == 'constraints':
            print('\n'.join(effective_constraints(args.system_torch, pins)))
        elif args.command == 'manifest':
            print(write_manifest(args.dir, args.python, args.platform, args.torch_from_host))
        else:
            problems = check(args.dir, args.system_torch, pins, args.ignore_installed)
            manifest = read_manifest(args.dir) if args.dir.is_dir() else None
            if problems:
                print(f'[wheelhouse] {args.dir} cannot install this environment offline ({len(problems)} problems):',
                      *problems, sep='\n  ', file=sys.stderr)
                if manifest and manifest.get('torch_from_host') and not args.system_torch:
                    print('[wheelhouse] it was made with --torch-from-host (no torch in it): install with '
                          '--system-torch into an environment that has torch', file=sys.stderr)
                else:
                    print('[wheelhouse] remake it with tools/misc/make_wheelhouse.sh (for this Python: '
                          f'--python {sys.version_info[0]}.{sys.version_info[1]}) from this checkout',
                          file=sys.stderr)
                return 1
    except (RuntimeError, ValueError, OSError) as err:
        print(f'[wheelhouse] ERROR: {err}', file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
