#!/usr/bin/env bash
# `make demo-benchmarks`: the PartImageNet benchmarks and the PIN++ detection-transfer claim on synthetic data,
# through the same tools and configs users run (scaled down by config only). Deterministic by seed; outputs in
# work_dirs/demo_benchmarks/. Reuses `make demo`'s baseline and MPM (work_dirs/demo/{baseline,mpm}) when present,
# else trains them as tools/demo.sh does (on GT part masks only: no pseudo-labelling step).
#
#   1. few-shot: the six methods of the PartImageNet paper's Table 3 (MAML, ProtoNet, RFS, Meta-Baseline, COMPAS,
#      ConstellationNet) and part-aware pre-training, trained on the synthetic PartImageNet train classes -> one
#      table of 5-way 1-/5-shot meta-test accuracy on the disjoint test classes
#   2. part discovery: DFF on the baseline's and MPM's backbone features -> matched mIoU, NMI, ARI over foreground
#      pixels (k=4, per class); and PDiscoNet's protocol (K=4, 8 shared parts, NMI/ARI over all pixels with the
#      background) on synthetic PartImageNet with the few-shot step's plain and part-aware ResNet-12s
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
fs_rfs_cfg=configs/fewshot/rfs_resnet12-tiny_1xb32-8e_synthetic.py
fs_protonet_cfg=configs/fewshot/protonet_conv4-tiny_1xb100-4e_synthetic-10way5shot.py
fs_maml_cfg=configs/fewshot/maml_conv4-tiny_1xb40-4e_synthetic-5way1shot.py
fs_meta_cfg=configs/fewshot/meta-baseline_resnet12-tiny_1xb50-2e_synthetic-5way5shot.py
fs_compas_cfg=configs/fewshot/compas_resnet12-tiny_1xb50-2e_synthetic-5way5shot.py
fs_constellation_cfg=configs/fewshot/constellationnet_resnet12-tiny_1xb46-3e_synthetic.py
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
fs=$out/fewshot
# classifier pre-training: Meta-Baseline's stage 1 (also RFS's backbone: the same tiny recipe, lr 0.05), plain and
# part-aware
"$py" tools/train.py "$fs_baseline_cfg" --work-dir "$fs/baseline"
"$py" tools/train.py "$fs_mpm_cfg" --work-dir "$fs/part-aware"
stage1_ckpt=$(cat "$fs/baseline/last_checkpoint")
# episodic methods: from scratch (ProtoNet, MAML, ConstellationNet) or from the stage-1 backbone (Meta-Baseline's
# stage 2, COMPAS)
"$py" tools/train.py "$fs_protonet_cfg" --work-dir "$fs/protonet"
"$py" tools/train.py "$fs_maml_cfg" --work-dir "$fs/maml"
"$py" tools/train.py "$fs_meta_cfg" --work-dir "$fs/meta-baseline" \
  --cfg-options model.backbone.init_cfg.checkpoint="$stage1_ckpt"
"$py" tools/train.py "$fs_compas_cfg" --work-dir "$fs/compas" \
  --cfg-options model.backbone.init_cfg.checkpoint="$stage1_ckpt"
"$py" tools/train.py "$fs_constellation_cfg" --work-dir "$fs/constellationnet"
"$py" tools/analysis_tools/compare_checkpoints.py "$fs" \
  --title 'few-shot accuracy (%, 5-way, 15 queries, 300 test episodes of the test classes, ± 95% CI)' \
  --model maml "$fs_maml_cfg" "$(cat "$fs/maml/last_checkpoint")" \
  --model protonet "$fs_protonet_cfg" "$(cat "$fs/protonet/last_checkpoint")" \
  --model rfs "$fs_rfs_cfg" "$stage1_ckpt" \
  --model meta-baseline "$fs_meta_cfg" "$(cat "$fs/meta-baseline/last_checkpoint")" \
  --model compas "$fs_compas_cfg" "$(cat "$fs/compas/last_checkpoint")" \
  --model constellationnet "$fs_constellation_cfg" "$(cat "$fs/constellationnet/last_checkpoint")" \
  --model stage-1-baseline "$fs_baseline_cfg" "$stage1_ckpt" \
  --model stage-1-part-aware "$fs_mpm_cfg" "$(cat "$fs/part-aware/last_checkpoint")" \
  --keys fewshot/5way-1shot_accuracy fewshot/5way-1shot_ci95 fewshot/5way-5shot_accuracy fewshot/5way-5shot_ci95

step "2/5 part discovery: DFF of the baseline's and MPM's backbones on synthetic PIN++ images; PDiscoNet's protocol"
"$py" tools/analysis_tools/part_discovery.py --model baseline "$baseline_cfg" "$baseline_ckpt" \
  --model mpm "$mpm_cfg" "$mpm_ckpt" --k 4 --stage 2 --img-size 128 --num-images 16 --num-vis 2 \
  --out-dir "$out/part_discovery"
# PDiscoNet / PDiscoFormer's protocol is defined on PartImageNet: the few-shot step's plain and part-aware ResNet-12
# (block 3 of 4) on the synthetic PartImageNet train images, K parts shared by all classes, every pixel scored
"$py" tools/analysis_tools/part_discovery.py --protocol pdisco \
  --model baseline "$fs_baseline_cfg" "$(cat "$out/fewshot/baseline/last_checkpoint")" \
  --model part-aware "$fs_mpm_cfg" "$(cat "$out/fewshot/part-aware/last_checkpoint")" \
  --dataset-config "$fs_mpm_cfg" --k 4 8 --stage 2 --img-size 96 --num-images 8 --num-vis 2 \
  --out-dir "$out/part_discovery_pdisco"

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
for table in fewshot/comparison.md part_discovery/part_discovery.md part_discovery_pdisco/part_discovery_pdisco.md \
  detection/comparison.md bypass/comparison.md; do
  echo; cat "$out/$table"
done
echo
echo "outputs: $out/{fewshot,detection,bypass}/comparison.json, $out/part_discovery/{part_discovery.json,vis/}," \
  "$out/part_discovery_pdisco/{part_discovery_pdisco.json,vis/}"
