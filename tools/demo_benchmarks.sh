#!/usr/bin/env bash
# `make demo-benchmarks`: the PartImageNet benchmarks and the PIN++ detection-transfer claim on synthetic data,
# through the same tools and configs users run (scaled down by config only). Deterministic by seed; outputs in
# work_dirs/demo_benchmarks/. Reuses `make demo`'s baseline and MPM (work_dirs/demo/{baseline,mpm}) when present,
# else trains them as tools/demo.sh does (on GT part masks only: no pseudo-labelling step).
#
#   1. few-shot: a ResNet-12 pre-trained as a plain classifier vs with MPM's part bypass (part-aware) on the
#      synthetic PartImageNet train classes -> 5-way 1-/5-shot meta-test on the disjoint test classes
#   2. part discovery: DFF (NMF, k=4) on the baseline's and MPM's backbone features -> matched mIoU, NMI, ARI
#   3. detection transfer: Faster R-CNN fine-tuned from the baseline's and from MPM's backbone -> bbox mAP
#   4. MPM's bypass scored as a part segmenter with mmseg's IoUMetric
set -euo pipefail
cd "$(dirname "$0")/.."
source tools/misc/python.sh
source tools/misc/reproducible_cpu.sh  # one table on every x86-64 CPU with AVX2
py=$MMPART_PYTHON
out=work_dirs/demo_benchmarks
demo=work_dirs/demo
pinpp=data/synthetic_pinpp
fewshot_data=data/synthetic_partimagenet
baseline_cfg=configs/baseline/baseline_r18_synthetic.py
mpm_cfg=configs/mpm/mpm_r18_synthetic.py
fs_baseline_cfg=configs/fewshot/meta-baseline_resnet12-tiny_1xb32-8e_synthetic-pretrain.py
fs_mpm_cfg=configs/fewshot/mpm-meta-baseline_resnet12-tiny_1xb32-8e_synthetic-pretrain.py
det_cfg=configs/downstream/faster-rcnn_mpm-r18_fpn_synthetic.py
bypass_cfg=configs/partseg/mpm-bypass_r18_synthetic-pinpp.py
start=$(date +%s)
step() { echo; echo "== [$(( $(date +%s) - start )) s] $*"; }

rm -rf "$out"
mkdir -p "$out"

step "0/5 baseline and MPM classifiers"
if [ -f "$demo/baseline/last_checkpoint" ] && [ -f "$demo/mpm/last_checkpoint" ] && [ -f "$pinpp/converted/part_ids.json" ]; then
  echo "reusing make demo's checkpoints: $demo/{baseline,mpm}"
  classifiers=$demo
else
  echo "no make demo outputs: training the baseline and MPM as tools/demo.sh does"
  classifiers=$out
  rm -rf "$pinpp/converted" "$pinpp/pseudo"
  "$py" tools/dataset_converters/make_synthetic_pinpp.py "$pinpp" --seed 0 --images-per-class 48 \
    --unlabeled-per-class 16 --val-per-class 16 > "$out/synthetic_pinpp_summary.json"
  "$py" tools/dataset_converters/pinpp.py "$pinpp/pinpp" "$pinpp/imagenet/train" "$pinpp/converted" \
    --val-ratio 0.2 --with-objects
  "$py" tools/train.py "$baseline_cfg" --work-dir "$out/baseline"
  "$py" tools/train.py "$mpm_cfg" --work-dir "$out/mpm"
fi
baseline_ckpt=$(cat "$classifiers/baseline/last_checkpoint")
mpm_ckpt=$(cat "$classifiers/mpm/last_checkpoint")

step "1/5 few-shot: synthetic PartImageNet split (12 / 5 / 5 disjoint classes) -> $fewshot_data"
"$py" tools/dataset_converters/make_synthetic_partimagenet.py "$fewshot_data" --image-size 48 \
  --images-per-class 24 > "$out/synthetic_partimagenet_summary.json"
"$py" tools/train.py "$fs_baseline_cfg" --work-dir "$out/fewshot/baseline"
"$py" tools/train.py "$fs_mpm_cfg" --work-dir "$out/fewshot/part-aware"
"$py" tools/analysis_tools/compare_checkpoints.py "$out/fewshot" \
  --title 'few-shot accuracy (%, 5-way, 15 queries, 300 test episodes, cosine to class centroids)' \
  --model baseline "$fs_baseline_cfg" "$(cat "$out/fewshot/baseline/last_checkpoint")" \
  --model part-aware "$fs_mpm_cfg" "$(cat "$out/fewshot/part-aware/last_checkpoint")" \
  --keys fewshot/5way-1shot_accuracy fewshot/5way-1shot_ci95 fewshot/5way-5shot_accuracy fewshot/5way-5shot_ci95

step "2/5 part discovery: DFF (k=4) of the baseline's and MPM's backbones on synthetic PIN++ images"
"$py" tools/analysis_tools/part_discovery.py --model baseline "$baseline_cfg" "$baseline_ckpt" \
  --model mpm "$mpm_cfg" "$mpm_ckpt" --k 4 --stage 2 --img-size 128 --num-images 16 --num-vis 2 \
  --out-dir "$out/part_discovery"

step "3/5 detection transfer: Faster R-CNN from the baseline's backbone"
"$py" tools/train.py "$det_cfg" --work-dir "$out/detection/baseline" \
  --cfg-options model.backbone.init_cfg.checkpoint="$baseline_ckpt"
step "4/5 detection transfer: Faster R-CNN from MPM's backbone"
"$py" tools/train.py "$det_cfg" --work-dir "$out/detection/mpm" --cfg-options model.backbone.init_cfg.checkpoint="$mpm_ckpt"
"$py" tools/analysis_tools/compare_checkpoints.py "$out/detection" \
  --title 'detection transfer: Faster R-CNN bbox mAP on the synthetic objects' \
  --model baseline "$det_cfg" "$(cat "$out/detection/baseline/last_checkpoint")" \
  --model mpm "$det_cfg" "$(cat "$out/detection/mpm/last_checkpoint")" \
  --keys coco/bbox_mAP coco/bbox_mAP_50 coco/bbox_mAP_75

step "5/5 MPM's bypass as a part segmenter (mmseg IoUMetric on the converted val split)"
"$py" tools/analysis_tools/compare_checkpoints.py "$out/bypass" --title 'MPM bypass as a part segmenter' \
  --model mpm "$bypass_cfg" "$mpm_ckpt" --keys mIoU mAcc aAcc

step "done"
for table in fewshot/comparison.md part_discovery/part_discovery.md detection/comparison.md bypass/comparison.md; do
  echo; cat "$out/$table"
done
echo
echo "outputs: $out/{fewshot,detection,bypass}/comparison.json, $out/part_discovery/{part_discovery.json,vis/}"
