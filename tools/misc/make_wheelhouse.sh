#!/usr/bin/env bash
# Download everything an offline install of mmpart's pinned stack needs into a folder (a "wheelhouse"), on a
# machine with internet, for machines without (e.g. a cluster's compute nodes):
#
#   tools/misc/make_wheelhouse.sh DIR [--python X.Y] [--platform TAG]... [--torch-from-host]
#   tools/misc/install.sh VENV --offline DIR [--system-torch]        # then, on the target (see install.sh)
#
#   --python X.Y       the target's Python (default: that of $PYTHON or python3 here); with it, or with
#                      --platform, wheels are chosen for the target's tags instead of this machine's
#   --platform TAG     a platform tag the target accepts, repeatable (default: this machine's, e.g.
#                      manylinux_2_35_x86_64 ... manylinux1_x86_64); only used with --python or for another OS/CPU
#   --torch-from-host  leave out torch, torchvision and their CUDA runtime wheels (nvidia-*, cuda-*, triton): the
#                      target has its own (CUDA) build of them; install with install.sh --system-torch, which pins
#                      the stack against that torch
#
# Every pin of requirements/constraints.txt (the whole environment CI tested) as a wheel, with the dependencies
# the target's Python needs on top (resolved by pip for that Python), plus mmcv's source (mmcv 2.1.0 has no wheel
# for this torch: install.sh builds it on the target, with CUDA ops where nvcc and a GPU are present).
# DIR/mmpart-wheelhouse.json records what it was made for. Re-running adds what is missing (pip skips files
# already there). The full set with torch is about 4 GB.
set -euo pipefail

here=$(cd "$(dirname "$0")/../.." && pwd)
usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; }
die() { echo "[wheelhouse] ERROR: $*" >&2; exit 2; }

dir=
target_python=
platforms=()
torch_from_host=0
while [ $# -gt 0 ]; do
  case "$1" in
    -h|--help) usage; exit 0 ;;
    --python) [ $# -ge 2 ] || die "--python needs a version, e.g. --python 3.11"; target_python=$2; shift 2 ;;
    --platform) [ $# -ge 2 ] || die "--platform needs a tag, e.g. --platform manylinux_2_28_x86_64"
      platforms+=("$2"); shift 2 ;;
    --torch-from-host) torch_from_host=1; shift ;;
    -*) die "unknown option $1 (see --help)" ;;
    *) [ -z "$dir" ] || die "one DIR only, got '$dir' and '$1'"; dir=$1; shift ;;
  esac
done
[ -n "$dir" ] || { usage >&2; die "no DIR given"; }
if [ -n "$target_python" ] && ! [[ "$target_python" =~ ^3\.[0-9]+$ ]]; then
  die "--python takes a version such as 3.11, got '$target_python'"
fi

py=${PYTHON:-python3}
command -v "$py" >/dev/null || die "no $py here (set PYTHON)"
host_python=$("$py" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
target_python=${target_python:-$host_python}
# pip chooses wheels for the target's interpreter and platform: only binary wheels then (an sdist would be built
# here, for this machine)
target=(--only-binary :all:)
if [ "$target_python" != "$host_python" ] || [ ${#platforms[@]} -gt 0 ]; then
  if [ ${#platforms[@]} -eq 0 ]; then
    mapfile -t platforms < <("$py" -c 'from pip._vendor.packaging.tags import platform_tags; print("\n".join(platform_tags()))')
  fi
  abi=cp${target_python/./}
  # pip adds the abi3, none and any tags these imply
  target+=(--python-version "$target_python" --implementation cp --abi "$abi")
  for tag in "${platforms[@]}"; do target+=(--platform "$tag"); done
fi

mkdir -p "$dir"
req=$(mktemp)
trap 'rm -f "$req"' EXIT
select=()
[ "$torch_from_host" = 1 ] && select=(--torch-from-host)
pip_download() { "$py" -m pip download --disable-pip-version-check -q -d "$dir" "$@" \
  2> >(grep -v 'is neither a file nor a directory' >&2); }
start=$SECONDS
step_start=$SECONDS
took() { echo "[wheelhouse]   $1: $((SECONDS - step_start)) s"; step_start=$SECONDS; }

"$py" "$here/tools/misc/wheelhouse.py" requirements --group stack ${select[@]+"${select[@]}"} > "$req"
echo "[wheelhouse] $(wc -l < "$req") pinned distributions and their dependencies for Python $target_python -> $dir"
pip_download "${target[@]}" -c "$here/requirements/constraints.txt" -r "$req"
took "the stack"
"$py" "$here/tools/misc/wheelhouse.py" requirements --group no-deps > "$req"
pip_download "${target[@]}" --no-deps -r "$req"
# mmcv's source: pip prepares its metadata with setuptools, which must still have pkg_resources (< 82, pinned)
echo "[wheelhouse] mmcv source"
"$py" "$here/tools/misc/wheelhouse.py" requirements --group source > "$req"
PIP_CONSTRAINT="$here/requirements/constraints.txt" pip_download --no-deps --no-binary :all: -r "$req"
took "the test oracle and mmcv's source"

if [ "$torch_from_host" = 1 ] && compgen -G "$dir/torch-[0-9]*" >/dev/null; then
  die "$dir holds a torch wheel although --torch-from-host was given (left from an earlier run?): remove it"
fi
manifest=("$dir" --python "$target_python" ${select[@]+"${select[@]}"})
for tag in ${platforms[@]+"${platforms[@]}"}; do manifest+=(--platform "$tag"); done
"$py" "$here/tools/misc/wheelhouse.py" manifest "${manifest[@]}" >/dev/null
echo "[wheelhouse] done in $((SECONDS - start)) s: $(ls "$dir" | grep -c -E '\.(whl|tar\.gz|zip)$') files," \
  "$(du -sh "$dir" | cut -f1); install on the target with: tools/misc/install.sh VENV --offline $dir" \
  "$([ "$torch_from_host" = 1 ] && echo --system-torch)"
