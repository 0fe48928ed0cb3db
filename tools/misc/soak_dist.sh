#!/usr/bin/env bash
# Soak check of the distributed launchers: runs the 2-process tools/dist_train.sh, tools/dist_test.sh and
# tools/dist_pseudo_label.sh on a small synthetic PIN++ set N times each and counts the runs that ended with status
# 0; prints the first lines of every failure. Meant for a machine with no GPU (gloo); on a GPU node the processes
# use the GPUs (two per node needed).
#
#   tools/misc/soak_dist.sh [N=20] [WORK_DIR=work_dirs/soak_dist]
#
# Writes WORK_DIR/soak.json (per run: launcher, status, seconds, log) and the logs under WORK_DIR/logs/; exits 1
# if any run failed. A run's data, detector and classifier are made once (single process) before the loop.
set -uo pipefail
cd "$(dirname "$0")/../.."
source tools/misc/python.sh
export PYTHON=$MMPART_PYTHON
py=$MMPART_PYTHON
n=${1:-20}
work=${2:-work_dirs/soak_dist}
data=$work/data
det_cfg=configs/partdet/mask-rcnn_r18_fpn_synthetic-parts.py
cls_cfg=configs/mpm/mpm_r18_synthetic.py
conv=$data/converted/
cls_opts=(--cfg-options "train_dataloader.dataset.data_root=$data/" "val_dataloader.dataset.data_root=$data/imagenet/"
          "test_dataloader.dataset.data_root=$data/imagenet/" train_dataloader.num_workers=1
          val_dataloader.num_workers=1 test_dataloader.num_workers=1 train_cfg.max_epochs=1 train_cfg.val_interval=1)
det_opts=(--cfg-options "train_dataloader.dataset.dataset.data_root=$conv" "val_dataloader.dataset.data_root=$conv"
          "test_dataloader.dataset.data_root=$conv" "val_evaluator.ann_file=${conv}coco/pinpp_parts_val.json"
          "test_evaluator.ann_file=${conv}coco/pinpp_parts_val.json")

fail() { echo "[soak] preparation failed: $*" >&2; exit 2; }
free_port() { "$py" -c "import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])"; }

rm -rf "$work"
mkdir -p "$work/logs"
echo "[soak] preparing: synthetic PIN++ set, a detector (2 iterations), a classifier (1 epoch), single process"
"$py" tools/dataset_converters/make_synthetic_pinpp.py "$data" --seed 0 --images-per-class 8 \
  --unlabeled-per-class 4 --val-per-class 4 > "$work/logs/prepare.log" 2>&1 || fail "synthetic set, $work/logs/prepare.log"
"$py" tools/dataset_converters/pinpp.py "$data/pinpp" "$data/imagenet/train" "$conv" --val-ratio 0.25 \
  --with-objects >> "$work/logs/prepare.log" 2>&1 || fail "converter, $work/logs/prepare.log"
"$py" tools/train.py "$det_cfg" --work-dir "$work/det" --no-validate "${det_opts[@]}" train_cfg.max_iters=2 \
  >> "$work/logs/prepare.log" 2>&1 || fail "detector, $work/logs/prepare.log"
"$py" tools/train.py "$cls_cfg" --work-dir "$work/cls" --no-validate "${cls_opts[@]}" \
  >> "$work/logs/prepare.log" 2>&1 || fail "classifier, $work/logs/prepare.log"
det_ckpt=$(cat "$work/det/last_checkpoint")
cls_ckpt=$(cat "$work/cls/last_checkpoint")

# one run of a launcher: NAME COMMAND...; appends "name status seconds log" to runs.txt
run() {
  local name=$1 log=$work/logs/$1_$i.log start=$SECONDS status
  shift
  PORT=$(free_port) "$@" > "$log" 2>&1
  status=$?
  echo "$name $status $(( SECONDS - start )) $log" >> "$work/runs.txt"
  if [ "$status" = 0 ]; then
    echo "[soak] $i/$n $name: status 0 ($(( SECONDS - start )) s)"
  else
    echo "[soak] $i/$n $name: status $status ($(( SECONDS - start )) s), $log:"
    grep -m 6 -E 'Error|error|terminate called|exitcode|Signal|Traceback' "$log" | sed 's/^/    /'
  fi
}

for i in $(seq 1 "$n"); do
  run dist_train bash tools/dist_train.sh "$cls_cfg" 2 --work-dir "$work/train_$i" "${cls_opts[@]}"
  run dist_test bash tools/dist_test.sh "$cls_cfg" "$cls_ckpt" 2 --work-dir "$work/test_$i" --attack pgd \
    --steps 2 "${cls_opts[@]}"
  run dist_pseudo_label bash tools/dist_pseudo_label.sh "$det_cfg" "$det_ckpt" 2 --img-root "$data/imagenet/train" \
    --annotated "$conv" --out "$work/pseudo_$i" --score-thr 0.0 --num-workers 1 "${det_opts[@]}"
  rm -rf "$work/train_$i" "$work/test_$i" "$work/pseudo_$i"
done

"$py" - "$work" "$n" <<'EOF'
import json, os, sys
work, n = sys.argv[1], int(sys.argv[2])
runs = [dict(zip(('launcher', 'status', 'seconds', 'log'), line.split())) for line in open(f'{work}/runs.txt')]
rows = []
for name in ('dist_train', 'dist_test', 'dist_pseudo_label'):
    mine = [r for r in runs if r['launcher'] == name]
    clean = sum(r['status'] == '0' for r in mine)
    rows.append(dict(launcher=name, runs=len(mine), clean_exits=clean,
                     failed_statuses=sorted({r['status'] for r in mine} - {'0'}),
                     mean_seconds=round(sum(int(r['seconds']) for r in mine) / max(len(mine), 1), 1)))
tmp = f'{work}/.soak.json.tmp'
with open(tmp, 'w') as f:
    json.dump(dict(n=n, launchers=rows, runs=runs), f, indent=1)
os.replace(tmp, f'{work}/soak.json')
print('\n| launcher | runs | status 0 | other statuses | mean s |\n|---|---|---|---|---|')
for r in rows:
    print(f"| {r['launcher']} | {r['runs']} | {r['clean_exits']} | {', '.join(r['failed_statuses']) or '-'} | "
          f"{r['mean_seconds']} |")
print(f'\nper run: {work}/soak.json')
sys.exit(0 if all(r['clean_exits'] == r['runs'] == n for r in rows) else 1)
EOF
