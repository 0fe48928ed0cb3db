#!/usr/bin/env bash
# Build (once) and print the path of an mmcv 2.1.0 wheel with compiled ops for the given python's torch.
#
#   tools/misc/build_mmcv_wheel.sh PYTHON
#
# The wheel is cached in $MMPART_CACHE/wheels/<torch version>-<cpu|cuda>/ (default ~/.cache/mmpart),
# because pip does not cache wheels built from a local directory. Two upstream problems are handled:
#  * mmcv's setup.py hard-codes -std=c++17, torch >= 2.14 headers need C++20 (mmcv issue 3341);
#  * with build isolation pip builds against a fresh torch-less env and silently drops the ops,
#    so the build uses --no-build-isolation against the installed torch.
# C++ sources compile through tools/misc/mmcv_build_cxx.sh (a precompiled header for the torch headers
# every op includes, no debug info): about 4x less CPU than a plain build, same code.
# On a CUDA machine (or with FORCE_CUDA=1) mmcv's setup.py builds the CUDA ops as well.
set -euo pipefail

py=$1
version=2.1.0
cache=${MMPART_CACHE:-$HOME/.cache/mmpart}
flavor=$("$py" -c "import os, torch; print(torch.__version__.split('+')[0] + ('-cuda' if torch.cuda.is_available() or os.environ.get('FORCE_CUDA') == '1' else '-cpu'))")
dest="$cache/wheels/mmcv-$version-torch$flavor"
found=$(ls "$dest"/mmcv-$version-*.whl 2>/dev/null | head -n 1 || true)
if [ -n "$found" ]; then
  echo "$found"
  exit 0
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "[mmcv] downloading the mmcv $version source" >&2
"$py" -m pip download -q --disable-pip-version-check --no-deps --no-binary :all: --no-build-isolation "mmcv==$version" -d "$work" \
  2> >(grep -v 'is neither a file nor a directory' >&2) >&2
tar -xzf "$work"/mmcv-$version.tar.gz -C "$work"
src="$work/mmcv-$version"
sed -i 's/-std=c++17/-std=c++20/g' "$src/setup.py"
grep -q -- '-std=c++20' "$src/setup.py" || { echo "[mmcv] C++20 patch did not apply to $src/setup.py" >&2; exit 1; }

echo "[mmcv] building the $flavor wheel with ops (about 4 minutes on 2 idle cores)" >&2
mkdir -p "$work/dist"
MMCV_WITH_OPS=1 MAX_JOBS=${MAX_JOBS:-$(nproc)} \
  MMCV_REAL_CXX=${CXX:-c++} CXX="$(cd "$(dirname "$0")" && pwd)/mmcv_build_cxx.sh" MMCV_PCH_DIR="$work/pch" \
  "$py" -m pip wheel -q --disable-pip-version-check --no-deps --no-build-isolation "$src" -w "$work/dist" >&2
built=$(ls "$work"/dist/mmcv-$version-*.whl)
mkdir -p "$dest"
# copy then rename, so an interrupted build never leaves a truncated wheel in the cache
cp "$built" "$dest/.partial.whl"
mv "$dest/.partial.whl" "$dest/$(basename "$built")"
echo "$dest/$(basename "$built")"
