#!/usr/bin/env bash
# Create (or update) a virtual environment with the pinned mmpart stack (DESIGN §8).
#
#   tools/misc/install.sh [VENV] [--offline DIR] [--system-torch]        default VENV=.venv
#
#   --offline DIR   install from the wheelhouse DIR only (pip --no-index --find-links DIR, no pip configuration
#                   read, nothing fetched): a folder made by tools/misc/make_wheelhouse.sh on a connected machine
#   --system-torch  keep the torch and torchvision of an existing environment (e.g. a cluster's or a vendor
#                   image's CUDA build) and pin the rest of the stack against them:
#                   * VENV does not exist: it is created as a layer over $PYTHON's environment (default python3,
#                     which must have torch): that environment's packages stay visible and untouched, VENV's own
#                     installs shadow them. A transformers found there (it breaks mmpretrain's imports) is
#                     shadowed in VENV by a placeholder (`VENV/bin/python -m pip uninstall transformers` removes it);
#                   * VENV is an existing environment with torch (a conda env, a venv): the stack is installed into
#                     it, its packages brought to the pinned versions, torch and torchvision never touched.
#
# Every pip call is constrained by requirements/constraints.txt (the whole environment CI tested, pinned;
# regenerate with tools/misc/freeze_constraints.sh), so a fresh machine resolves to the same versions.
# Idempotent: a second run only checks what is installed. mmcv 2.1.0 has no wheel for torch 2.14,
# so tools/misc/build_mmcv_wheel.sh builds it once (with its C++ ops; CUDA ops when nvcc and a GPU are present,
# or FORCE_CUDA=1) into MMPART_CACHE (default ~/.cache/mmpart), outside the repository.
# Each step prints how long it took.
set -euo pipefail

here=$(cd "$(dirname "$0")/../.." && pwd)
die() { echo "[install] ERROR: $*" >&2; exit 1; }
venv=
wheelhouse=
system_torch=0
while [ $# -gt 0 ]; do
  case "$1" in
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    --offline) [ $# -ge 2 ] || die "--offline needs the wheelhouse folder"; wheelhouse=$2; shift 2 ;;
    --system-torch) system_torch=1; shift ;;
    -*) die "unknown option $1 (see --help)" ;;
    *) [ -z "$venv" ] || die "one VENV only, got '$venv' and '$1'"; venv=$1; shift ;;
  esac
done
venv=${venv:-.venv}
python=${PYTHON:-python3}
if [ -n "$wheelhouse" ]; then
  [ -d "$wheelhouse" ] || die "--offline $wheelhouse: no such folder (make it with tools/misc/make_wheelhouse.sh)"
  wheelhouse=$(cd "$wheelhouse" && pwd)
  # offline means the wheelhouse and nothing else: no index, no find-links or constraints from pip's configuration
  # files or PIP_* variables (PIP_CONFIG_FILE=/dev/null skips every configuration file, --isolated the variables)
  export PIP_CONFIG_FILE=/dev/null
  export MMPART_WHEELHOUSE=$wheelhouse  # build_mmcv_wheel.sh takes mmcv's source from it
fi

step_name=
step_start=$SECONDS
step() {  # announce a step; the previous one reports its time
  [ -z "$step_name" ] || echo "[install]   $step_name: $((SECONDS - step_start)) s"
  step_name=$1
  step_start=$SECONDS
  [ -z "$step_name" ] || echo "[install] $step_name"
}
install_start=$SECONDS

layered=0
if [ "$system_torch" = 1 ] && [ -x "$venv/bin/python" ] && [ ! -f "$venv/.mmpart-layer" ]; then
  "$venv/bin/python" -c "import torch" 2>/dev/null \
    || die "--system-torch: $venv exists but has no torch; name a new VENV to layer it over \$PYTHON's torch"
  echo "[install] --system-torch: installing into $venv, keeping its torch $("$venv/bin/python" -c 'import torch; print(torch.__version__)')"
elif [ "$system_torch" = 1 ]; then
  layered=1
  if [ ! -x "$venv/bin/python" ]; then
    "$python" -c "import torch, torchvision" 2>/dev/null \
      || die "--system-torch: $python has no torch and torchvision to keep (set PYTHON to the interpreter that has them)"
    step "creating $venv over the environment of $("$python" -c 'import sys; print(sys.executable)') (torch $("$python" -c 'import torch; print(torch.__version__)'))"
    # without pip: a venv's own pip and setuptools (ensurepip's, setuptools 65 on Python 3.11) would shadow the host's
    "$python" -m venv --without-pip "$venv"
    # the host's site folders after the venv's own: its packages stay visible, ours come first (shadowing)
    "$python" -c 'import sys; print("\n".join(p for p in sys.path if p.endswith(("site-packages", "dist-packages"))))' \
      > "$venv/.mmpart-layer"
    "$venv/bin/python" "$here/tools/misc/env_layer.py" layer "$venv" "$venv/.mmpart-layer"
    "$venv/bin/python" -m pip --version >/dev/null 2>&1 || "$venv/bin/python" -m ensurepip -q  # a host without pip
  fi
elif [ ! -x "$venv/bin/python" ]; then
  step "creating $venv with $($python --version)"
  "$python" -m venv "$venv"
fi
py="$venv/bin/python"
constraints="$here/requirements/constraints.txt"
if [ "$system_torch" = 1 ]; then
  constraints=$(mktemp)
  trap 'rm -f "$constraints"' EXIT
  "$py" "$here/tools/misc/wheelhouse.py" constraints --system-torch > "$constraints"
fi
offline=()
if [ -n "$wheelhouse" ]; then
  offline=(--isolated --no-index --find-links "$wheelhouse")
  system=()
  [ "$system_torch" = 1 ] && system=(--system-torch)
  step "checking the wheelhouse $wheelhouse"
  "$py" "$here/tools/misc/wheelhouse.py" check "$wheelhouse" ${system[@]+"${system[@]}"}
fi
# this machine's pip config names local indexes that may not exist: drop pip's warnings about them
pip_install() { "$py" -m pip install --disable-pip-version-check ${offline[@]+"${offline[@]}"} -c "$constraints" "$@" \
  2> >(grep -v 'is neither a file nor a directory' >&2); }

step "build tools"
pip_install -q "setuptools>=77,<82" wheel ninja
if [ "$system_torch" = 0 ]; then
  step "torch + torchvision"
  pip_install -q -r "$here/requirements/torch.txt" "numpy<2"
else
  step "numpy (torch $("$py" -c 'import torch; print(torch.__version__)') kept)"
  pip_install -q "numpy<2"
fi

if ! "$py" -c "import mmcv, mmcv.ops" 2>/dev/null \
   || [ "$("$py" -c 'import mmcv; print(mmcv.__version__)')" != "2.1.0" ]; then
  step "mmcv 2.1.0 wheel (built once, then cached)"
  wheel=$(bash "$here/tools/misc/build_mmcv_wheel.sh" "$py" | tail -n 1)
  echo "[install] mmcv from $wheel"
  pip_install -q --no-deps "$wheel"
fi

step "OpenMMLab stack, runtime, optional and test requirements"
pip_install -q -r "$here/requirements/mminstall.txt" -r "$here/requirements/runtime.txt" \
  -r "$here/requirements/optional.txt" -r "$here/requirements/tests.txt"
# test oracles without their requirements (torchattacks pins an old requests; the converters' timm and robustbench
# bring download requirements the tests do not use): the no-deps group of tools/misc/wheelhouse.py, pinned
# shellcheck disable=SC2046
pip_install -q --no-deps $("$py" "$here/tools/misc/wheelhouse.py" requirements --group no-deps)
step "mmpart (editable)"
# through setuptools' PEP 660 hook directly (offline too: for a setup.py project pip would otherwise run `setup.py
# develop`, which (setuptools >= 80) calls pip again in a subprocess that ignores these options and wants an index),
# in compat mode: the checkout goes on sys.path by a .pth file (what `setup.py develop` did), so that the link below
# cannot shadow the package; setup.py's add_mim_extension links configs/, tools/, demo/, model-index.yml into
# mmpart/.mim. OpenMMLab's mim looks for them in <location of the distribution>/mmpart/.mim, and the location of
# an editable install is site-packages: link that to the checkout's (mim train/test/search mmpart then work)
pip_install -q --no-deps --no-build-isolation --use-pep517 --config-settings editable_mode=compat -e "$here"
site=$("$py" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
mkdir -p "$site/mmpart"
ln -sfn "$here/mmpart/.mim" "$site/mmpart/.mim"
step ""

transformers_at=$("$py" -c "import importlib.util as u; s = u.find_spec('transformers'); print(s.origin if s else '')" \
  2>/dev/null || true)
if [ -n "$transformers_at" ] && ! "$py" "$here/tools/misc/env_layer.py" is-shadow transformers; then
  if [ "$layered" = 1 ] && [[ "$transformers_at" != "$(cd "$venv" && pwd)"/* ]]; then
    "$py" "$here/tools/misc/env_layer.py" shadow "$venv" transformers \
      "it breaks mmpretrain's imports; mmpart's tools/misc/install.sh --system-torch shadowed the host's copy"
    echo "[install] transformers of the host environment ($transformers_at) is shadowed in $venv (it breaks" \
      "mmpretrain's imports); '$py -m pip uninstall transformers' removes the placeholder"
  else
    die "transformers is installed in $venv ($transformers_at); it breaks mmpretrain's imports. It was not removed:
  uninstall it yourself, or install into a new environment layered over this one, where it is shadowed:
  PYTHON=$py tools/misc/install.sh NEW_VENV --system-torch"
  fi
fi
"$py" -c "import mmcv.ops, mmdet, mmseg, mmpretrain, mmpart; print('[install] ok: mmcv', mmcv.__version__, \
'mmdet', mmdet.__version__, 'mmseg', mmseg.__version__, 'mmpretrain', mmpretrain.__version__)"
echo "[install] total: $((SECONDS - install_start)) s"
