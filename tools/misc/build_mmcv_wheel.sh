#!/usr/bin/env bash
# Build (once) and print the path of an mmcv 2.1.0 wheel with compiled ops for the given python's torch.
#
#   tools/misc/build_mmcv_wheel.sh PYTHON
#
# The wheel is cached in $MMPART_CACHE/wheels/mmcv-2.1.0-torch<version>-<flavor>/ (default ~/.cache/mmpart),
# because pip does not cache wheels built from a local directory; <flavor> is `cpu`, or for the CUDA ops
# `cuda<CUDA version>-arch<TORCH_CUDA_ARCH_LIST>-<torch commit>` (a wheel built for one GPU kind does not run on
# another, and a cache in a shared home folder serves several). The source comes from PyPI, or from
# $MMPART_WHEELHOUSE/mmcv-2.1.0.tar.gz when that is set (install.sh --offline). Two upstream problems are handled:
#  * mmcv's setup.py hard-codes -std=c++17, torch >= 2.14 headers need C++20 (mmcv issue 3341);
#  * with build isolation pip builds against a fresh torch-less env and silently drops the ops,
#    so the build uses --no-build-isolation against the installed torch.
# C++ sources compile through tools/misc/mmcv_build_cxx.sh (a precompiled header for the torch headers
# every op includes, no debug info): about 4x less CPU than a plain build, same code.
# CUDA ops are built when torch sees a GPU and nvcc is found (CUDA_HOME, PATH or /usr/local/cuda), or with
# FORCE_CUDA=1 (e.g. a build node with nvcc and no GPU, which must set TORCH_CUDA_ARCH_LIST to the target GPUs'
# compute capabilities, e.g. '8.0;9.0'). TORCH_CUDA_ARCH_LIST defaults to the visible GPUs' compute capabilities, MAX_JOBS
# to the cores (for CUDA also at most one job per 2 GB of free memory: nvcc jobs are large).
set -euo pipefail

py=$1
version=2.1.0
cache=${MMPART_CACHE:-$HOME/.cache/mmpart}
# one line: python tag, torch version, torch >= 2.14, GPU architectures seen, nvcc found, CUDA version, torch commit
read -r pytag torch_version needs_cxx20 gpu_archs nvcc cuda_version torch_commit < <("$py" - <<'EOF'
import os, sys, torch
release = tuple(int(p) for p in torch.__version__.split('+')[0].split('.')[:2] if p.isdigit())
archs = sorted({'%d.%d' % torch.cuda.get_device_capability(i) for i in range(torch.cuda.device_count())}) \
    if torch.cuda.is_available() else []
nvcc = ''
if archs or os.environ.get('FORCE_CUDA') == '1':  # importing it guesses a CUDA_HOME, with a warning when none
    from torch.utils.cpp_extension import CUDA_HOME
    nvcc = os.path.join(CUDA_HOME, 'bin', 'nvcc') if CUDA_HOME else ''
print('cp%d%d' % sys.version_info[:2], torch.__version__.split('+')[0], int(release >= (2, 14)),
      ';'.join(archs) or '-', nvcc if nvcc and os.path.isfile(nvcc) else '-', torch.version.cuda or '-',
      (torch.version.git_version or 'unknown')[:10])
EOF
)
[ -n "${torch_commit:-}" ] || { echo "[mmcv] cannot import torch with $py" >&2; exit 1; }
cuda=0
if [ "${FORCE_CUDA:-0}" = 1 ]; then
  cuda=1
elif [ "$gpu_archs" != - ] && [ "$nvcc" != - ]; then
  cuda=1
elif [ "$gpu_archs" != - ]; then
  echo "[mmcv] WARNING: torch sees a GPU but no nvcc was found (set CUDA_HOME, or load the CUDA module): building" \
    "mmcv's CPU ops only; mmdet's RoIAlign/NMS on CUDA tensors will fail" >&2
fi
if [ "$cuda" = 1 ]; then
  [ "$cuda_version" != - ] || { echo "[mmcv] FORCE_CUDA=1 but torch $torch_version is a CPU build" >&2; exit 1; }
  [ "$nvcc" != - ] || { echo "[mmcv] FORCE_CUDA=1 but no nvcc was found (set CUDA_HOME)" >&2; exit 1; }
  arch_list=${TORCH_CUDA_ARCH_LIST:-}
  [ -n "$arch_list" ] || [ "$gpu_archs" = - ] || arch_list=$gpu_archs
  # (with neither, torch 2.14's extension builder fails with an IndexError)
  [ -n "$arch_list" ] || { echo "[mmcv] FORCE_CUDA=1 without a visible GPU: set TORCH_CUDA_ARCH_LIST to the" \
    "target GPUs' compute capabilities, e.g. TORCH_CUDA_ARCH_LIST='8.0;9.0'" >&2; exit 1; }
  flavor="$torch_version-cuda$cuda_version-arch$(echo "$arch_list" | tr ' ;' '__')-$torch_commit"
else
  flavor="$torch_version-cpu"
fi
dest="$cache/wheels/mmcv-$version-torch$flavor"
found=$(ls "$dest"/mmcv-$version-$pytag-*.whl 2>/dev/null | head -n 1 || true)
if [ -n "$found" ]; then
  echo "$found"
  exit 0
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if [ -n "${MMPART_WHEELHOUSE:-}" ]; then
  sdist="$MMPART_WHEELHOUSE/mmcv-$version.tar.gz"
  [ -f "$sdist" ] || { echo "[mmcv] $sdist is missing: remake the wheelhouse (tools/misc/make_wheelhouse.sh)" >&2; exit 1; }
else
  echo "[mmcv] downloading the mmcv $version source" >&2
  "$py" -m pip download -q --disable-pip-version-check --no-deps --no-binary :all: --no-build-isolation "mmcv==$version" -d "$work" \
    2> >(grep -v 'is neither a file nor a directory' >&2) >&2
  sdist="$work/mmcv-$version.tar.gz"
fi
tar -xzf "$sdist" -C "$work"
src="$work/mmcv-$version"
if [ "$needs_cxx20" = 1 ]; then
  sed -i 's/-std=c++17/-std=c++20/g' "$src/setup.py"
  grep -q -- '-std=c++20' "$src/setup.py" || { echo "[mmcv] C++20 patch did not apply to $src/setup.py" >&2; exit 1; }
fi

jobs=${MAX_JOBS:-$(nproc)}
build_env=(MMCV_WITH_OPS=1)
if [ "$cuda" = 1 ]; then
  if [ -z "${MAX_JOBS:-}" ]; then
    free_gb=$(awk '/^MemAvailable:/ { print int($2 / 1048576) }' /proc/meminfo)
    jobs=$(( free_gb / 2 < jobs ? (free_gb / 2 > 0 ? free_gb / 2 : 1) : jobs ))
  fi
  build_env+=(FORCE_CUDA=1 TORCH_CUDA_ARCH_LIST="$arch_list")
  echo "[mmcv] building the wheel with CUDA $cuda_version ops (nvcc: $nvcc; TORCH_CUDA_ARCH_LIST=$arch_list;" \
    "MAX_JOBS=$jobs)" >&2
else
  build_env+=(CUDA_VISIBLE_DEVICES=)  # mmcv's setup.py builds CUDA ops whenever torch sees a GPU
  echo "[mmcv] building the $flavor wheel with ops (about 4 minutes on 2 idle cores)" >&2
fi
mkdir -p "$work/dist"
start=$SECONDS
env "${build_env[@]}" MAX_JOBS="$jobs" \
  MMCV_REAL_CXX=${CXX:-c++} CXX="$(cd "$(dirname "$0")" && pwd)/mmcv_build_cxx.sh" MMCV_PCH_DIR="$work/pch" \
  "$py" -m pip wheel -q --disable-pip-version-check --no-deps --no-build-isolation "$src" -w "$work/dist" >&2
echo "[mmcv] built in $((SECONDS - start)) s" >&2
built=$(ls "$work"/dist/mmcv-$version-*.whl)
mkdir -p "$dest"
# copy then rename, so an interrupted build never leaves a truncated wheel in the cache
cp "$built" "$dest/.partial.whl"
mv "$dest/.partial.whl" "$dest/$(basename "$built")"
echo "$dest/$(basename "$built")"
