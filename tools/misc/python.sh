#!/usr/bin/env bash
# Sourced by the shell entry points (tools/*.sh): sets MMPART_PYTHON to the Python that runs mmpart.
#   1. $PYTHON if set;
#   2. `python` of an activated environment ($VIRTUAL_ENV or $CONDA_PREFIX), e.g. a user's own install;
#   3. the repository's .venv (what `make install` creates), so the scripts work without activating it;
#   4. `python` on PATH.
_mmpart_repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
if [ -n "${PYTHON:-}" ]; then
  MMPART_PYTHON=$PYTHON
elif [ -n "${VIRTUAL_ENV:-}${CONDA_PREFIX:-}" ] && command -v python >/dev/null; then
  MMPART_PYTHON=python
elif [ -x "$_mmpart_repo/.venv/bin/python" ]; then
  MMPART_PYTHON=$_mmpart_repo/.venv/bin/python
else
  MMPART_PYTHON=python
fi
unset _mmpart_repo
