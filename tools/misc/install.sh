#!/usr/bin/env bash
# Create (or update) a virtual environment with the pinned mmpart stack (DESIGN §8).
#
#   tools/misc/install.sh [VENV]        default VENV=.venv
#
# Every pip call is constrained by requirements/constraints.txt (the whole environment CI tested, pinned;
# regenerate with tools/misc/freeze_constraints.sh), so a fresh machine resolves to the same versions.
# Idempotent: a second run only checks what is installed. mmcv 2.1.0 has no wheel for torch 2.14,
# so tools/misc/build_mmcv_wheel.sh builds it once (with its C++ ops; CUDA ops when a GPU is visible
# or FORCE_CUDA=1) into MMPART_CACHE (default ~/.cache/mmpart), outside the repository.
set -euo pipefail

here=$(cd "$(dirname "$0")/../.." && pwd)
venv=${1:-.venv}
python=${PYTHON:-python3}

if [ ! -x "$venv/bin/python" ]; then
  echo "[install] creating $venv with $($python --version)"
  "$python" -m venv "$venv"
fi
py="$venv/bin/python"
# this machine's pip config names local indexes that may not exist: drop pip's warnings about them
constraints="$here/requirements/constraints.txt"
pip_install() { "$py" -m pip install --disable-pip-version-check -c "$constraints" "$@" \
  2> >(grep -v 'is neither a file nor a directory' >&2); }

echo "[install] build tools"
pip_install -q "setuptools>=77,<82" wheel ninja
echo "[install] torch + torchvision"
pip_install -q -r "$here/requirements/torch.txt" "numpy<2"

if ! "$py" -c "import mmcv, mmcv.ops" 2>/dev/null \
   || [ "$("$py" -c 'import mmcv; print(mmcv.__version__)')" != "2.1.0" ]; then
  wheel=$(bash "$here/tools/misc/build_mmcv_wheel.sh" "$py" | tail -n 1)
  echo "[install] mmcv from $wheel"
  pip_install -q --no-deps "$wheel"
fi

echo "[install] OpenMMLab stack, runtime, optional and test requirements"
pip_install -q -r "$here/requirements/mminstall.txt" -r "$here/requirements/runtime.txt" \
  -r "$here/requirements/optional.txt" -r "$here/requirements/tests.txt"
# test oracle only: torchattacks 3.5.1 pins an old requests, its real needs are already installed
pip_install -q --no-deps torchattacks==3.5.1
echo "[install] mmpart (editable)"
# compat mode: the checkout goes on sys.path by a .pth file (what `setup.py develop` did), so that the link below
# cannot shadow the package; setup.py's add_mim_extension links configs/, tools/, demo/, model-index.yml into
# mmpart/.mim. OpenMMLab's mim looks for them in <location of the distribution>/mmpart/.mim, and the location of
# an editable install is site-packages: link that to the checkout's (mim train/test/search mmpart then work)
pip_install -q --no-deps --no-build-isolation --use-pep517 --config-settings editable_mode=compat -e "$here"
site=$("$py" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
mkdir -p "$site/mmpart"
ln -sfn "$here/mmpart/.mim" "$site/mmpart/.mim"

if "$py" -c "import transformers" 2>/dev/null; then
  echo "[install] ERROR: transformers is installed in $venv; it breaks mmpretrain's imports" >&2
  exit 1
fi
"$py" -c "import mmcv.ops, mmdet, mmseg, mmpretrain, mmpart; print('[install] ok: mmcv', mmcv.__version__, \
'mmdet', mmdet.__version__, 'mmseg', mmseg.__version__, 'mmpretrain', mmpretrain.__version__)"
