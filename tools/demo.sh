#!/usr/bin/env bash
# `make demo`: the whole mmpart pipeline on the built-in synthetic PIN++ dataset, through the same tools
# and configs users run (scaled down by config only). Deterministic by seed and pinned CPU kernels; outputs in
# work_dirs/demo/.
#
#   synthetic PIN++ release -> converter -> Mask R-CNN on parts -> pseudo part labels for the unlabeled
#   pool -> baseline and MPM, both PGD adversarially trained -> clean / PGD at several eps / corruptions
#   -> comparison table, report, accuracy-vs-eps plot, part visualisations
set -euo pipefail
cd "$(dirname "$0")/.."
source tools/misc/python.sh
source tools/misc/reproducible_cpu.sh  # one table on every x86-64 CPU with AVX2
py=$MMPART_PYTHON
data=data/synthetic_pinpp
out=work_dirs/demo
det_cfg=configs/partdet/mask-rcnn_r18_fpn_synthetic-parts.py
baseline_cfg=configs/baseline/baseline_r18_synthetic.py
mpm_cfg=configs/mpm/mpm_r18_synthetic.py
start=$(date +%s)
step() { echo; echo "== [$(( $(date +%s) - start )) s] $*"; }

rm -rf "$out" "$data/converted" "$data/pseudo"
mkdir -p "$out"

step "1/8 synthetic PIN++ release (seed 0) -> $data"
"$py" tools/dataset_converters/make_synthetic_pinpp.py "$data" --seed 0 --images-per-class 48 \
  --unlabeled-per-class 16 --val-per-class 16 > "$out/synthetic_summary.json"

step "2/8 PIN++ converter: release -> training layout, COCO json (parts + objects), mmseg splits"
"$py" tools/dataset_converters/pinpp.py "$data/pinpp" "$data/imagenet/train" "$data/converted" \
  --val-ratio 0.2 --with-objects

step "3/8 Mask R-CNN on the parts ($det_cfg)"
"$py" tools/train.py "$det_cfg" --work-dir "$out/mask_rcnn"
det_ckpt=$(cat "$out/mask_rcnn/last_checkpoint")

step "4/8 pseudo part labels for the unlabeled pool -> $data/pseudo"
"$py" tools/pseudo_label.py "$det_cfg" "$det_ckpt" --img-root "$data/imagenet/train" \
  --annotated "$data/converted" --out "$data/pseudo" --score-thr 0.3

step "5/8 baseline with PGD adversarial training ($baseline_cfg)"
"$py" tools/train.py "$baseline_cfg" --work-dir "$out/baseline"
step "6/8 MPM with PGD adversarial training, GT + pseudo part masks ($mpm_cfg)"
"$py" tools/train.py "$mpm_cfg" --work-dir "$out/mpm"

step "7/8 robustness report: clean, PGD-10 at several eps, corruptions"
"$py" tools/analysis_tools/robustness_report.py "$out/report" \
  --model baseline "$baseline_cfg" "$(cat "$out/baseline/last_checkpoint")" \
  --model mpm "$mpm_cfg" "$(cat "$out/mpm/last_checkpoint")" \
  --eps 1 2 4 8 16 --pgd-steps 10 \
  --test-set corruptions=configs/_base_/datasets/synthetic_c_onthefly.py

step "8/8 part visualisations: MPM bypass and Mask R-CNN"
"$py" tools/analysis_tools/visualize_parts.py "$mpm_cfg" "$(cat "$out/mpm/last_checkpoint")" \
  --split train --out-dir "$out/vis/mpm_bypass" --num 6
"$py" tools/analysis_tools/visualize_parts.py "$det_cfg" "$det_ckpt" --split val --out-dir "$out/vis/mask_rcnn" \
  --num 6 --score-thr 0.3

step "extra: FLOPs and parameters, deployed MPM = plain classifier -> $out/report/flops.{md,json}"
"$py" tools/analysis_tools/get_flops.py "$mpm_cfg" "$baseline_cfg" --out "$out/report/flops.json"

step "extra: training curves -> $out/report/training_curves{,_mask_rcnn}.png"
"$py" tools/analysis_tools/analyze_logs.py plot_curve "$out/baseline" "$out/mpm" --out "$out/report/training_curves.png"
"$py" tools/analysis_tools/analyze_logs.py plot_curve "$out/mask_rcnn" --out "$out/report/training_curves_mask_rcnn.png"

step "done"
cat "$out/report/robustness_report.md"
echo
echo "outputs: $out/report/{robustness_report.md,robustness_report.json,accuracy_vs_eps.png}, $out/vis/, $data/pseudo/summary.json"
