#!/usr/bin/env bash
# Mutation testing of mmpart modules with mutmut: how many small deliberate bugs the tests catch.
#   tools/misc/mutation_test.sh MODULE... -- TEST...
#   tools/misc/mutation_test.sh 'mmpart/attacks/*' 'mmpart/evaluation/metrics/*' -- tests/test_attacks tests/test_evaluation
# MODULE: files or globs (quoted) under mmpart/ to mutate; TEST: pytest paths / node ids covering them (give
# the fastest subset: each mutant runs the tests that reach the mutated function).
# Environment: PYTHON (default: see tools/misc/python.sh), MUTATION_JOBS (parallel mutants, default 1),
# MUTATION_DIR (scratch copy of the repository, default work_dirs/mutation/<modules>; kept, so a rerun only
# tests mutants whose code changed), MUTATION_RECHECK=1 (also test again the mutants that survived or that no
# test reached last time: after adding tests), NICE (default 10).
# Prints the score (killed / (killed + survived); timeouts count as killed, mutants no test reaches as
# survived) and writes the surviving mutants, with their diffs, to $MUTATION_DIR/survivors.txt.
# CPU-heavy and slow: a script to run by hand, not part of CI.
set -euo pipefail
source "$(dirname "$0")/python.sh"
repo=$(cd "$(dirname "$0")/../.." && pwd)

modules=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do modules+=("$1"); shift; done
[ $# -gt 0 ] && shift
tests=("$@")
if [ ${#modules[@]} -eq 0 ] || [ ${#tests[@]} -eq 0 ]; then
  echo "usage: $0 MODULE... -- TEST..." >&2
  exit 2
fi
for module in "${modules[@]}"; do
  case "$module" in
    mmpart/*) ;;
    *) echo "$0: $module: modules are paths or globs under mmpart/" >&2; exit 2 ;;
  esac
done

name=$(printf '%s_' "${modules[@]}" | tr -c 'A-Za-z0-9_' '_' | sed 's/__*/_/g; s/_$//')
work=${MUTATION_DIR:-$repo/work_dirs/mutation/$name}
mkdir -p "$work"
# a copy of the working tree (mutmut writes mutants/ next to it); outputs and data stay behind. The copies get the
# current time (-m): mutmut regenerates a mutated file only when its source is newer, and a source restored with its
# old time would leave the mutants of an earlier version in place (results of unchanged functions are kept)
(cd "$repo" && git ls-files --cached --others --exclude-standard -z |
  tar --null --files-from=- --ignore-failed-read -cf - 2>/dev/null) | tar -xmf - -C "$work"
mutmut=$(dirname "$("$MMPART_PYTHON" -c 'import sys; print(sys.executable)')")/mutmut

{
  echo "[mutmut]"
  echo "source_paths=mmpart"
  printf 'only_mutate=\n'; printf '    %s\n' "${modules[@]}"
  printf 'pytest_add_cli_args_test_selection=\n'; printf '    %s\n' "${tests[@]}"
  # -s: mmengine's progress bars take sys.stdout as a default argument when first imported, which happens in
  # the fork server's warm-up pytest session; its capture stream is closed by the time mutants run, so with
  # capturing every test that shows a progress bar fails and its mutants would count as killed
  printf 'pytest_add_cli_args=\n    -p\n    no:cacheprovider\n    -q\n    -s\n'
  printf 'also_copy=\n    configs\n    tools\n'
  echo "process_isolation=forkserver"  # torch is not fork-safe once it has run
  echo "use_git_change_detection=false"
} > "$work/setup.cfg"

cd "$work"
export PYTHONPATH=$work OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
echo "mutation testing ${modules[*]} with ${tests[*]} in $work (progress: $work/run.log)"
run_mutmut() {
  nice -n "${NICE:-10}" "$mutmut" run --max-children "${MUTATION_JOBS:-1}" "$@" > run.log 2>&1 || {
    tr '\r' '\n' < run.log | tail -n 30 >&2; echo "$0: mutmut run failed, see $work/run.log" >&2; exit 1; }
}
if [ "${MUTATION_RECHECK:-0}" = 1 ] && [ -d mutants ]; then
  # which tests reach which function is collected again: mutmut only maps new tests, so a new or changed function
  # that only old tests reach would stay without tests
  rm -f mutants/mutmut-stats.json
  mapfile -t recheck < <("$mutmut" results --all true | awk -F': ' '/: (survived|no tests)$/ {gsub(/ /, "", $1); print $1}')
  run_mutmut  # new mutants and changed code first (this maps every test to the functions it reaches)
  if [ ${#recheck[@]} -gt 0 ]; then
    echo "testing again ${#recheck[@]} mutants that survived or had no test"
    run_mutmut "${recheck[@]}"
  fi
else
  run_mutmut
fi
"$mutmut" results --all true > results.txt

"$MMPART_PYTHON" - "$work" <<'EOF'
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

work = Path(sys.argv[1])
status = {}
for line in (work / 'results.txt').read_text().splitlines():
    match = re.match(r'\s*(\S+): (.+)$', line)
    if match:
        status[match.group(1)] = match.group(2).strip()
counts = Counter(status.values())
killed = counts['killed'] + counts['timeout']
survived = counts['survived'] + counts['no tests']
total = killed + survived
print(f'mutants: {dict(counts)}')
print(f'score: {killed}/{total} killed = {100 * killed / max(total, 1):.1f}%')
survivors = [name for name, s in status.items() if s in ('survived', 'no tests')]
with open(work / 'survivors.txt', 'w') as f:
    for name in survivors:
        diff = subprocess.run([str(Path(sys.executable).parent / 'mutmut'), 'show', name], cwd=work,
                              capture_output=True, text=True).stdout
        f.write(f'## {name} ({status[name]})\n{diff}\n')
print(f'{len(survivors)} survivors, with diffs, in {work / "survivors.txt"}')
EOF
