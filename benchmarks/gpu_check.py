"""Is this GPU machine ready for mmpart's training recipe? One command, at most ~8 minutes on one GPU (issue 24).

    python benchmarks/gpu_check.py [--out work_dirs/gpu_check] [--channels-last] [--parts env,throughput,...]
    python benchmarks/gpu_check.py --dry-run      # every part on the CPU at tiny sizes (what the test suite runs)

Five parts, each timed; a table per part on stdout (and in ``OUT/gpu_check.md``), everything in
``OUT/gpu_check.json``:

1. ``env``: torch / CUDA / cuDNN / NCCL / OpenMMLab versions, the GPUs, and mmcv's compiled ops on CUDA tensors
   (``RoIAlign`` and ``nms`` against their CPU results).
2. ``throughput``: AMP train steps (``AmpOptimWrapper``, the recipe's) of the MPM R-50 of ``configs/mpm/mpm_r50.py``
   (3,311 part classes, point-sampled part loss) on synthetic 224² batches of 64 and 128: images/s and peak memory of
   a clean step, of a PGD-2 step (the recipe's attack) and of the plain classifier's step
   (``configs/baseline/baseline_r50.py`` without attack); ratios MPM / plain and PGD-2 / clean (3.0 would be the
   ideal of three forward-backward passes), and the plain step against the field's anchor: an A100 trains a plain
   R-50 with AMP at about 2,400-2,500 images/s (the fraction is printed with the GPU's name: other GPUs differ).
3. ``numerics``: PGD-10 under fp16 autocast vs fp32 on the same model (random weights, BN statistics calibrated on
   the batch, classifier scaled until its predictions are confident, i.e. logit gradients far below fp16's range):
   robust accuracy equal within one sample and input-gradient sign agreement >= 99%, with the attack's per-sample
   rescaling of the logit gradient (:func:`mmpart.attacks.gradients.loss_and_input_gradient`) and without it (how
   much weaker the fp16 attack gets).
4. ``ddp``: ``tools/dist_train.sh`` on every GPU (NCCL) with ``configs/mpm/mpm_r50.py`` on a synthetic PIN++ set (its
   model, AMP, hooks and adversarial validation; data, epochs and the part-class count swapped by a small config
   that inherits it): one epoch, a checkpoint, a resumed second epoch; losses finite.
5. ``maskrcnn``: one train and one test iteration of the PIN++ part Mask R-CNN
   (``configs/partdet/mask-rcnn_r50_fpn_4xb2-62.5k_pinpp-parts.py``, all its classes) and one pseudo-labelling batch
   (``PartPseudoLabeler``, as ``tools/pseudo_label.py``) from its checkpoint.

The check fails (exit status 1) when a check of the table fails; timings are reported, not judged.
"""
import argparse
import contextlib
import datetime
import glob
import json
import math
import os
import platform
import socket
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple
from unittest import mock

import torch
from mmengine.config import Config

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / 'benchmarks'))
from mpm_overhead import build, make_batch  # noqa: E402

from mmpart.evaluation.tables import markdown_table  # noqa: E402
from mmpart.utils import atomic_write_json, atomic_write_text, register_all_modules  # noqa: E402

MPM_CONFIG = REPO / 'configs' / 'mpm' / 'mpm_r50.py'
PARTDET_CONFIG = REPO / 'configs' / 'partdet' / 'mask-rcnn_r50_fpn_4xb2-62.5k_pinpp-parts.py'
PARTS = ('env', 'throughput', 'numerics', 'ddp', 'maskrcnn')
#: images/s of a plain ResNet-50 AMP train step on one A100, the field's usual figure (e.g. NVIDIA's DeepLearning
#: Examples and timm report 2,400-2,500): the anchor for the absolute number
A100_R50_AMP_IMAGES_PER_S = (2400, 2500)
IDEAL_PGD2_RATIO = 3.0  # two attack passes + the training pass, each a forward and a backward


@dataclass
class Sizes:
    """What each part runs at: the real check, or the CPU dry run's tiny version of the same steps."""
    batches: Tuple[int, ...] = (64, 128)
    image_size: int = 224
    warmup: int = 5
    steps: int = 20
    numerics_batch: int = 128
    numerics_size: int = 224
    numerics_eps: Tuple[float, ...] = (1, 4)
    #: median ``1 - max softmax`` the classifier is scaled to (None: as built, unconfident)
    numerics_confidence: Tuple[Optional[float], ...] = (None, 1e-2, 1e-4, 1e-6)
    pgd_steps: int = 10
    ddp_batch: int = 16
    ddp_image_size: int = 224
    maskrcnn_scale: Tuple[int, int] = (500, 375)  # the config's
    maskrcnn_classes: Optional[int] = None  # None: the config's (3,310 parts + 1,000 objects)
    maskrcnn_detections: Optional[int] = None  # None: the config's (100 per image)
    pseudo_label_images: int = 8


DRY_RUN = Sizes(batches=(2, ), image_size=64, warmup=1, steps=1, numerics_batch=4, numerics_size=64,
                numerics_eps=(4, ), numerics_confidence=(None, 1e-6), pgd_steps=2, ddp_batch=2,
                ddp_image_size=32, maskrcnn_scale=(160, 120), maskrcnn_classes=27, maskrcnn_detections=10,
                pseudo_label_images=2)


class Report:
    """Results per part, checks with targets, and their tables."""

    def __init__(self) -> None:
        self.parts: Dict[str, Dict[str, Any]] = {}
        self.checks: List[Dict[str, Any]] = []

    def check(self, part: str, name: str, value: Any, target: str, ok: bool) -> None:
        self.checks.append(dict(part=part, check=name, value=value, target=target, ok=bool(ok)))

    @property
    def ok(self) -> bool:
        return all(c['ok'] for c in self.checks)


def synchronize(device: torch.device) -> None:
    if device.type == 'cuda':
        torch.cuda.synchronize(device)


def to_device(data: dict, device: torch.device) -> dict:
    """A batch of :func:`mpm_overhead.make_batch` with its images and masks on ``device`` (so steps time no copy)."""
    return dict(inputs=[image.to(device) for image in data['inputs']],
                data_samples=[sample.to(device) for sample in data['data_samples']])


def peak_memory_gb(device: torch.device) -> Optional[float]:
    return round(torch.cuda.max_memory_allocated(device) / 2**30, 2) if device.type == 'cuda' else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


# 1. environment --------------------------------------------------------------------------------------------------

def check_env(report: Report, device: torch.device, sizes: Sizes) -> None:
    import mmcv
    import mmdet
    import mmengine
    import mmpretrain
    import mmseg
    from mmcv.ops import RoIAlign, get_compiler_version, get_compiling_cuda_version, nms

    import mmpart

    env = dict(python=platform.python_version(), torch=torch.__version__, cuda=torch.version.cuda,
               cudnn=torch.backends.cudnn.version(), mmcv=mmcv.__version__, mmcv_compiler=get_compiler_version(),
               mmcv_cuda=get_compiling_cuda_version(), mmengine=mmengine.__version__, mmdet=mmdet.__version__,
               mmseg=mmseg.__version__, mmpretrain=mmpretrain.__version__, mmpart=mmpart.__version__,
               device=str(device), gpus=[])
    if device.type == 'cuda':
        nccl = torch.cuda.nccl.version()
        env['nccl'] = '.'.join(map(str, nccl)) if isinstance(nccl, tuple) else str(nccl)
        for i in range(torch.cuda.device_count()):
            props = torch.cuda.get_device_properties(i)
            env['gpus'].append(dict(name=props.name, memory_gb=round(props.total_memory / 2**30, 1),
                                    capability=f'{props.major}.{props.minor}'))
    report.parts['env'] = env

    gen = torch.Generator().manual_seed(0)
    feat = torch.randn(2, 16, 32, 32, generator=gen)
    xy = torch.rand(64, 2, generator=gen) * 24
    wh = torch.rand(64, 2, generator=gen) * 8 + 1
    rois = torch.cat([torch.randint(0, 2, (64, 1), generator=gen).float(), xy, xy + wh], dim=1)
    roi_align = RoIAlign(output_size=7, spatial_scale=1.0, sampling_ratio=2, aligned=True)
    expected = roi_align(feat, rois)
    got = roi_align(feat.to(device), rois.to(device)).cpu()
    diff = float((got - expected).abs().max())
    report.check('env', f'mmcv RoIAlign on {device.type} vs CPU, max |diff|', diff, '<= 1e-4', diff <= 1e-4)
    boxes = torch.cat([xy * 4, xy * 4 + wh * 6], dim=1)
    scores = torch.rand(64, generator=gen)
    keep_cpu = nms(boxes, scores, iou_threshold=0.5)[1]
    keep_dev = nms(boxes.to(device), scores.to(device), iou_threshold=0.5)[1].cpu()
    same = torch.equal(keep_cpu, keep_dev)
    report.check('env', f'mmcv nms on {device.type}: same boxes kept as on CPU', f'{len(keep_dev)} kept', 'equal',
                 same)
    if device.type == 'cuda':
        report.check('env', 'mmcv compiled with CUDA', env['mmcv_cuda'], 'a CUDA version',
                     env['mmcv_cuda'] != 'not available')


# 2. throughput ---------------------------------------------------------------------------------------------------

def optim_wrapper(model: torch.nn.Module, device: torch.device):
    """The recipe's ``AmpOptimWrapper`` (dynamic loss scale) on a GPU; a plain ``OptimWrapper`` on the CPU (mmengine's
    AMP wrapper needs CUDA)."""
    from mmengine.optim import AmpOptimWrapper, OptimWrapper

    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=1e-4)
    if device.type == 'cuda':
        return AmpOptimWrapper(optimizer=optimizer, loss_scale='dynamic')
    return OptimWrapper(optimizer=optimizer)


def check_throughput(report: Report, device: torch.device, sizes: Sizes, channels_last: bool) -> None:
    torch.backends.cudnn.benchmark = True
    variants = dict(plain=('plain', False), mpm=('mpm', False), mpm_pgd2=('mpm', True))
    rows = {}
    for name, (kind, adversarial) in variants.items():
        model = build(kind, adversarial=adversarial).to(device)
        if channels_last:
            model = model.to(memory_format=torch.channels_last)
        model.train()
        wrapper = optim_wrapper(model, device)
        num_part_classes = model.part_head.num_classes if kind == 'mpm' else 2
        for batch in sizes.batches:
            key = f'{name}@{batch}'
            data = to_device(make_batch(batch, sizes.image_size, num_part_classes), device)
            try:
                for _ in range(sizes.warmup):
                    model.train_step(data, wrapper)
                synchronize(device)
                if device.type == 'cuda':
                    torch.cuda.reset_peak_memory_stats(device)
                start = time.perf_counter()
                losses = {}
                for _ in range(sizes.steps):
                    losses = model.train_step(data, wrapper)
                synchronize(device)
                seconds = (time.perf_counter() - start) / sizes.steps
                rows[key] = dict(images_per_s=round(batch / seconds, 3), ms_per_step=round(seconds * 1000, 1),
                                 peak_memory_gb=peak_memory_gb(device),
                                 loss_finite=all(math.isfinite(float(torch.as_tensor(v).detach()))
                                                 for v in losses.values()))
            except torch.cuda.OutOfMemoryError:
                rows[key] = dict(images_per_s=None, ms_per_step=None, peak_memory_gb='out of memory', loss_finite=None)
            del data
        del model, wrapper
        if device.type == 'cuda':
            torch.cuda.empty_cache()

    result = dict(channels_last=channels_last, amp=device.type == 'cuda', image_size=sizes.image_size, steps=rows,
                  ratios={}, a100_anchor_images_per_s=A100_R50_AMP_IMAGES_PER_S)
    gpu = torch.cuda.get_device_name(device) if device.type == 'cuda' else 'CPU'
    for batch in sizes.batches:
        plain, mpm, pgd = (rows[f'{n}@{batch}'] for n in variants)
        if None in (plain['images_per_s'], mpm['images_per_s'], pgd['images_per_s']):
            continue
        ratios = dict(mpm_over_plain_time=round(plain['images_per_s'] / mpm['images_per_s'], 3),
                      pgd2_over_clean_time=round(mpm['images_per_s'] / pgd['images_per_s'], 3),
                      pgd2_over_ideal=round(mpm['images_per_s'] / pgd['images_per_s'] / IDEAL_PGD2_RATIO, 3),
                      plain_fraction_of_a100_anchor=round(plain['images_per_s'] / sum(A100_R50_AMP_IMAGES_PER_S) * 2,
                                                          3))
        if plain['peak_memory_gb'] is not None:
            ratios['mpm_over_plain_memory'] = round(mpm['peak_memory_gb'] / plain['peak_memory_gb'], 3)
        result['ratios'][str(batch)] = ratios
        report.check('throughput', f'train steps at batch {batch}: losses finite',
                     all(r['loss_finite'] for r in (plain, mpm, pgd)), 'finite',
                     all(r['loss_finite'] for r in (plain, mpm, pgd)))
    result['gpu'] = gpu
    report.parts['throughput'] = result


# 3. attack numerics under AMP ------------------------------------------------------------------------------------

def calibrate_bn(model: torch.nn.Module, images: torch.Tensor, passes: int = 2) -> None:
    """Set every BN's running statistics to those of ``images`` (random weights would otherwise let activations grow
    through 50 layers, and fp16 overflow where a trained model would not)."""
    from torch.nn.modules.batchnorm import _BatchNorm

    norms = [m for m in model.modules() if isinstance(m, _BatchNorm)]
    for norm in norms:
        norm.reset_running_stats()
        norm.momentum = None  # cumulative average
    model.train()
    with torch.no_grad():
        for _ in range(passes):
            model(images, mode='tensor')
    model.eval()


def logit_scale_for(logits: torch.Tensor, target: Optional[float]) -> float:
    """The factor on the logits that makes the median of ``1 - max softmax`` over the batch ``target`` (None: 1,
    the model as built). Scaling the classifier's last layer by it keeps every prediction and its geometry (what an
    attack can reach) and changes only magnitudes: the cross-entropy logit gradient is about ``target``."""
    if target is None:
        return 1.0
    low, high = 1e-3, 1e4
    for _ in range(60):
        mid = math.sqrt(low * high)
        tail = (1 - torch.softmax(logits.double() * mid, dim=1).amax(dim=1)).median()
        low, high = (mid, high) if tail > target else (low, mid)
    return low


def gradient_stats(grad: torch.Tensor, reference: torch.Tensor) -> Dict[str, float]:
    """How an input gradient compares with the fp32 one: zero entries, samples zeroed (non-finite: the attack leaves
    them where they are), sign agreement on the entries where fp32's is nonzero, and the same weighted by fp32's
    magnitude (the signs that move a PGD step most)."""
    nonzero = reference != 0
    agree = grad.sign() == reference.sign()
    weights = reference.abs()
    return dict(zero_fraction=round(float((grad == 0).float().mean()), 4),
                zeroed_samples=int((grad.flatten(1).abs().amax(dim=1) == 0).sum()),
                sign_agreement=round(float(agree[nonzero].float().mean()), 4) if nonzero.any() else 0.0,
                weighted_sign_agreement=round(float((weights * agree).sum() / weights.sum().clamp_min(1e-30)), 4))


def check_numerics(report: Report, device: torch.device, sizes: Sizes) -> None:
    from mmpart.attacks import PGD, gradients
    from mmpart.attacks.base import from_pixel_space, pixel_space_logits
    from mmpart.attacks.losses import cross_entropy

    torch.backends.cudnn.benchmark = False
    model = build('mpm', adversarial=False).to(device)
    gen = torch.Generator().manual_seed(0)
    images = torch.rand(sizes.numerics_batch, 3, sizes.numerics_size, sizes.numerics_size, generator=gen).to(device)
    calibrate_bn(model, from_pixel_space(model, images))
    logits_fn = pixel_space_logits(model)
    fc = model.head.fc
    weight, bias = fc.weight.detach().clone(), fc.bias.detach().clone()
    with torch.no_grad():
        logits = logits_fn(images).float()
    labels = logits.argmax(dim=1)  # the model's own predictions: every sample starts correct

    def fp16(rescale: bool) -> Callable[[], contextlib.AbstractContextManager]:
        def context():
            stack = contextlib.ExitStack()
            stack.enter_context(torch.autocast(device.type, dtype=torch.float16))
            if not rescale:  # the plain backward through the fp16 network
                stack.enter_context(mock.patch.object(gradients, 'fp16_autocast', lambda device_type: False))
            return stack
        return context

    modes = dict(fp32=contextlib.nullcontext, fp16=fp16(True), fp16_no_rescale=fp16(False))
    result = dict(batch=sizes.numerics_batch, image_size=sizes.numerics_size, pgd_steps=sizes.pgd_steps,
                  fp16_logit_grad_scale=gradients.FP16_LOGIT_GRAD_SCALE, regimes=[])
    for target in sizes.numerics_confidence:
        scale = logit_scale_for(logits, target)
        with torch.no_grad():
            fc.weight.copy_(weight * scale)
            fc.bias.copy_(bias * scale)
        tail = float((1 - torch.softmax(logits.double() * scale, dim=1).amax(dim=1)).median())
        regime = dict(target=target, logit_scale=round(scale, 3), median_one_minus_max_prob=tail, modes={})
        grads = {}
        for mode, context in modes.items():
            with context():
                grads[mode] = gradients.loss_and_input_gradient(logits_fn, cross_entropy, images, labels)[1].float()
            robust = {}
            for eps in sizes.numerics_eps:
                attack = PGD(eps=eps, steps=sizes.pgd_steps, step_size=eps / 4, random_start=True)
                torch.manual_seed(0)  # the same random start in every mode
                with context():
                    adversarial = attack(logits_fn, images, labels)
                with torch.no_grad():  # judged in fp32 for every mode: only the attack's precision differs
                    robust[str(eps)] = int((logits_fn(adversarial).argmax(dim=1) == labels).sum())
            regime['modes'][mode] = dict(robust_correct=robust, **gradient_stats(grads[mode], grads['fp32']))
        result['regimes'].append(regime)
        name = 'as built' if target is None else f'median 1 - p_max {target:g}'
        fp32, half = regime['modes']['fp32'], regime['modes']['fp16']
        report.check('numerics', f'{name}: fp32 input gradient reaches the pixels (nonzero fraction)',
                     round(1 - fp32['zero_fraction'], 4), '> 0.5', fp32['zero_fraction'] < 0.5)
        report.check('numerics', f'{name}: fp16 (rescaled) input-gradient sign agreement with fp32',
                     half['sign_agreement'], '>= 0.99', half['sign_agreement'] >= 0.99)
        for eps in sizes.numerics_eps:
            a, b = fp32['robust_correct'][str(eps)], half['robust_correct'][str(eps)]
            report.check('numerics', f'{name}: PGD-{sizes.pgd_steps} eps {eps}/255 robust correct, fp16 (rescaled) vs '
                         f'fp32, of {sizes.numerics_batch}', f'{b} vs {a}', 'within 1 sample', abs(a - b) <= 1)
    with torch.no_grad():
        fc.weight.copy_(weight)
        fc.bias.copy_(bias)
    report.parts['numerics'] = result


# 4. DDP ----------------------------------------------------------------------------------------------------------

def synthetic_pinpp(root: Path, images: int, unlabeled_per_class: int) -> Path:
    """A small synthetic PIN++ set (6 classes, 21 parts), converted as ``make demo`` does."""
    from mmpart.datasets.converters.pinpp_converter import convert_pinpp
    from mmpart.datasets.converters.synthetic_pinpp import make_synthetic_pinpp

    if not (root / 'converted' / 'part_ids.json').is_file():
        make_synthetic_pinpp(str(root), num_classes=6, images_per_class=max(2, -(-images // 6)),
                             unlabeled_per_class=unlabeled_per_class, val_per_class=2, image_size=64)
        convert_pinpp(release_root=str(root / 'pinpp'), imagenet_root=str(root / 'imagenet' / 'train'),
                      out_dir=str(root / 'converted'), val_ratio=0.0)
    return root


def ddp_config(path: Path, data: Path, sizes: Sizes, procs: int, cpu: bool) -> Path:
    """``configs/mpm/mpm_r50.py`` with the synthetic set as data (its part classes; two iterations per epoch, one
    validation batch per process), one epoch, no stage-1 weights."""
    from mmpart.datasets.part_id_table import num_classes_in

    base = Config.fromfile(str(MPM_CONFIG))
    size = sizes.ddp_image_size
    train_pipeline = [dict(t, scale=size) if t['type'] == 'JointRandomResizedCrop' else t
                      for t in base.train_dataloader.dataset.pipeline]
    test_pipeline = [dict(t, scale=size * 8 // 7) if t['type'] == 'JointResizeEdge' else
                     dict(t, crop_size=size) if t['type'] == 'CenterCrop' else t for t in base.test_pipeline]
    parts = num_classes_in(str(data / 'converted' / 'part_ids.json'), 'segmentation', default=0)
    loader = dict(batch_size=sizes.ddp_batch, num_workers=0 if cpu else 2, persistent_workers=not cpu)
    train_images = 2 * sizes.ddp_batch * procs  # two iterations per epoch
    lines = [
        f'_base_ = [{str(MPM_CONFIG)!r}]',
        'load_from = None',
        f'model = dict(part_head=dict(num_classes={parts}))',
        f'train_dataloader = dict(**{loader!r}, dataset=dict(data_root={str(data) + "/"!r}, '
        "data_prefix=dict(img_path='imagenet/train', seg_map_path='converted/seg', "
        "pseudo_path='converted/whether_pseudo'), extra_mask_roots=[], part_id_file='converted/part_ids.json', "
        f'num_part_classes={parts}, indices={train_images}, pipeline={train_pipeline!r}))',
        f'val_dataloader = dict(**{loader!r}, dataset=dict(_delete_=True, type=\'PINPPDataset\', '
        f"data_root={str(data) + '/imagenet/'!r}, data_prefix=dict(img_path='val'), part_id_file=None, "
        f'indices={sizes.ddp_batch * procs}, pipeline={test_pipeline!r}))',
        f'val_cfg = dict(attack=dict(steps={sizes.pgd_steps}))',
        'train_cfg = dict(max_epochs=1, val_interval=1)',
        # on the CPU one checkpoint per epoch is enough to check resuming (each is ~300 MB to write)
        f'default_hooks = dict(logger=dict(interval=1){", checkpoint=dict(save_best=None)" if cpu else ""})',
    ]
    if cpu:  # mmengine's AmpOptimWrapper needs CUDA
        lines.append(f"optim_wrapper = dict(_delete_=True, type='OptimWrapper', "
                     f'optimizer={base.optim_wrapper.optimizer!r}, paramwise_cfg={base.optim_wrapper.paramwise_cfg!r})')
    path.write_text('\n'.join(lines) + '\n')
    return path


def logged_losses(work_dir: Path) -> List[float]:
    """Every ``loss`` the LocalVisBackend logged under ``work_dir`` (all runs)."""
    losses = []
    for scalars in glob.glob(str(work_dir / '*' / 'vis_data' / 'scalars.json')):
        with open(scalars) as f:
            losses += [json.loads(line)['loss'] for line in f if '"loss"' in line]
    return losses


def check_ddp(report: Report, device: torch.device, sizes: Sizes, out: Path, data: Path) -> None:
    from mmpart.utils import safe_load_checkpoint

    cpu = device.type == 'cpu'
    procs = 1 if cpu else torch.cuda.device_count()
    config = ddp_config(out / 'mpm_r50_synthetic_gpu_check.py', data, sizes, procs, cpu)
    work_dir = out / 'ddp'
    env = dict(os.environ, PYTHON=sys.executable, PORT=str(free_port()))
    if cpu:
        env['CUDA_VISIBLE_DEVICES'] = ''
    else:
        env['NCCL_DEBUG'] = 'INFO'  # NCCL's own log lines prove it carried the collectives
    logs = []
    for epochs, extra in ((1, []), (2, ['--resume'])):
        cmd = ['bash', str(REPO / 'tools' / 'dist_train.sh'), str(config), str(procs), '--work-dir', str(work_dir),
               *extra, '--cfg-options', f'train_cfg.max_epochs={epochs}']
        start = time.perf_counter()
        proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
        logs.append(dict(command=' '.join(cmd), returncode=proc.returncode,
                         seconds=round(time.perf_counter() - start, 1)))
        (work_dir / f'run{epochs}.log').parent.mkdir(parents=True, exist_ok=True)
        (work_dir / f'run{epochs}.log').write_text(proc.stdout + proc.stderr)
        if proc.returncode != 0:
            report.check('ddp', f'tools/dist_train.sh, epoch {epochs} (log: {work_dir}/run{epochs}.log)',
                         proc.returncode, 'exit 0', False)
            report.parts['ddp'] = dict(processes=procs, runs=logs)
            return
    text = (work_dir / 'run1.log').read_text()
    backend = 'gloo' if cpu else 'nccl' if 'NCCL INFO' in text else 'not NCCL'
    losses = logged_losses(work_dir)
    first = safe_load_checkpoint(str(work_dir / 'epoch_1.pth'), map_location='cpu')
    second = safe_load_checkpoint(str(work_dir / 'epoch_2.pth'), map_location='cpu')
    resumed = 'resumed epoch: 1' in (work_dir / 'run2.log').read_text()
    name = 'backbone.conv1.weight'
    report.parts['ddp'] = dict(processes=procs, backend=backend, runs=logs, losses=[round(v, 4) for v in losses],
                               iters=[first['meta']['iter'], second['meta']['iter']])
    report.check('ddp', f'{procs} process(es) over {backend}: losses logged and finite', len(losses),
                 '> 0, all finite', bool(losses) and all(math.isfinite(v) for v in losses))
    report.check('ddp', 'epoch 1 checkpoint written, epoch 2 resumed from it and trained on',
                 f'iter {first["meta"]["iter"]} -> {second["meta"]["iter"]}', 'resumed, weights changed',
                 resumed and second['meta']['iter'] > first['meta']['iter']
                 and not torch.equal(first['state_dict'][name], second['state_dict'][name]))
    if not cpu:
        report.check('ddp', 'distributed backend', backend, 'nccl', backend == 'nccl')


# 5. Mask R-CNN and pseudo labels ---------------------------------------------------------------------------------

def partdet_config(sizes: Sizes) -> Config:
    """The PIN++ part Mask R-CNN config; the dry run's smaller images and class count; detections at any score (a
    random-weight model's scores are tiny, and the test and pseudo-labelling steps should see detections)."""
    cfg = Config.fromfile(str(PARTDET_CONFIG))
    cfg.model.backbone.init_cfg = None
    if sizes.maskrcnn_classes is not None:
        cfg.model.roi_head.bbox_head.num_classes = sizes.maskrcnn_classes
        cfg.model.roi_head.mask_head.num_classes = sizes.maskrcnn_classes
    for pipeline in (cfg.train_pipeline, cfg.test_pipeline, cfg.train_dataloader.dataset.dataset.pipeline,
                     cfg.test_dataloader.dataset.pipeline):
        for t in pipeline:
            if t['type'] == 'Resize':
                t['scale'] = sizes.maskrcnn_scale
    cfg.model.test_cfg.rcnn.score_thr = 0.0
    if sizes.maskrcnn_detections is not None:
        cfg.model.test_cfg.rcnn.max_per_img = sizes.maskrcnn_detections
    return cfg


def detection_batch(images: List[str], num_classes: int, cfg: Config, gen: torch.Generator) -> dict:
    """The config's train pipeline on ``images`` with three random rectangular instances each."""
    from mmcv.transforms import Compose
    from mmengine.dataset import pseudo_collate
    from mmengine.registry import DefaultScope
    from PIL import Image

    results = []
    with DefaultScope.overwrite_default_scope('mmdet'):
        pipeline = Compose(cfg.train_dataloader.dataset.dataset.pipeline)
        for i, path in enumerate(images):
            with Image.open(path) as image:
                width, height = image.size
            instances = []
            for _ in range(3):
                x1, y1 = (torch.rand(2, generator=gen) * torch.tensor([width / 2, height / 2])).tolist()
                x2, y2 = x1 + width / 3, y1 + height / 3
                instances.append(dict(bbox=[x1, y1, x2, y2], bbox_label=int(torch.randint(num_classes, (1, ),
                                                                                          generator=gen)),
                                      ignore_flag=0, mask=[[x1, y1, x2, y1, x2, y2, x1, y2]]))
            results.append(pipeline(dict(img_path=path, img_id=i, height=height, width=width, instances=instances)))
    return pseudo_collate(results)


def check_maskrcnn(report: Report, device: torch.device, sizes: Sizes, out: Path, data: Path) -> None:
    from mmengine.optim import build_optim_wrapper
    from mmengine.runner import save_checkpoint

    from mmpart.datasets.part_id_table import PartIdTable
    from mmpart.pseudo_label import (
        PartPseudoLabeler,
        build_test_pipeline,
        init_part_detector,
        list_unlabeled,
        read_annotated,
    )

    cfg = partdet_config(sizes)
    num_classes = cfg.model.roi_head.bbox_head.num_classes
    table = PartIdTable.load(str(data / 'converted' / 'part_ids.json'))
    parts = list(table.class_names()[1:])
    classes = tuple(parts + [f'unused_{i}' for i in range(num_classes - len(parts))])
    model = init_part_detector(cfg, None, device=str(device))
    model.dataset_meta = dict(classes=classes)
    train_images = sorted(glob.glob(str(data / 'imagenet' / 'train' / '*' / '*.JPEG')))[:2]
    batch = detection_batch(train_images, num_classes, cfg, torch.Generator().manual_seed(0))

    model.train()
    wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    if device.type == 'cuda':
        torch.cuda.reset_peak_memory_stats(device)
    start = time.perf_counter()
    log_vars = model.train_step(batch, wrapper)
    synchronize(device)
    train = dict(seconds=round(time.perf_counter() - start, 2), peak_memory_gb=peak_memory_gb(device),
                 losses={k: round(float(torch.as_tensor(v).detach()), 4) for k, v in log_vars.items()})
    model.eval()
    pipeline = build_test_pipeline(cfg)
    from mmengine.dataset import pseudo_collate
    test_data = pseudo_collate([pipeline(dict(img_path=p, img_id=i)) for i, p in enumerate(train_images)])
    start = time.perf_counter()
    with torch.no_grad():
        results = model.test_step(test_data)
    synchronize(device)
    detections = [len(r.pred_instances) for r in results]
    with_masks = all('masks' in r.pred_instances for r in results)
    test = dict(seconds=round(time.perf_counter() - start, 2), detections=detections)

    checkpoint = out / 'maskrcnn' / 'iter_1.pth'
    checkpoint.parent.mkdir(parents=True, exist_ok=True)
    save_checkpoint(dict(state_dict=model.state_dict(), meta=dict(dataset_meta=dict(classes=classes))),
                    str(checkpoint))
    img_root, annotated = str(data / 'imagenet' / 'train'), read_annotated(str(data / 'converted'))
    unlabeled = len(list_unlabeled(img_root, table.wnids, annotated)[0])
    labeler = PartPseudoLabeler(init_part_detector(cfg, str(checkpoint), device=str(device)), pipeline, table,
                                score_thr=0.0, batch_size=unlabeled, num_workers=0)  # all of them in one batch
    start = time.perf_counter()
    summary = labeler.run(img_root, str(out / 'pseudo_labels'), annotated=annotated, progress=False)
    pseudo = dict(seconds=round(time.perf_counter() - start, 2), images=summary['images'],
                  images_with_parts=summary['images_with_parts'], parts_per_image=summary['parts_per_image'])
    report.parts['maskrcnn'] = dict(num_classes=num_classes, scale=sizes.maskrcnn_scale, train=train, test=test,
                                    pseudo_labels=pseudo)
    report.check('maskrcnn', f'train iteration ({num_classes} classes): losses finite', train['losses'].get('loss'),
                 'finite', all(math.isfinite(v) for v in train['losses'].values()))
    report.check('maskrcnn', 'test iteration: detections with masks', sum(detections), '> 0, masks',
                 sum(detections) > 0 and with_masks)
    report.check('maskrcnn', 'pseudo-labelling batch from the checkpoint: images labelled',
                 f'{pseudo["images"]} images, {pseudo["images_with_parts"]} with parts', f'{unlabeled} images',
                 pseudo['images'] == unlabeled > 0)


# driver ----------------------------------------------------------------------------------------------------------

def tables(report: Report) -> str:
    """The printed summary: one small table per part and the checks."""
    out = []
    env = report.parts.get('env')
    if env:
        gpus = ', '.join(f'{g["name"]} ({g["memory_gb"]} GB, sm {g["capability"]})' for g in env['gpus']) or 'none'
        out.append(markdown_table(['torch', 'CUDA', 'cuDNN', 'NCCL', 'mmcv (ops CUDA)', 'GPUs'],
                                  [[env['torch'], env['cuda'], env['cudnn'], env.get('nccl'),
                                    f'{env["mmcv"]} ({env["mmcv_cuda"]})', gpus]]))
    thr = report.parts.get('throughput')
    if thr:
        rows = [[key, r['images_per_s'], r['ms_per_step'], r['peak_memory_gb']] for key, r in thr['steps'].items()]
        out.append(f'train steps ({"AMP" if thr["amp"] else "fp32, CPU"}, {thr["image_size"]}², channels-last '
                   f'{thr["channels_last"]}, {thr["gpu"]})\n'
                   + markdown_table(['variant@batch', 'images/s', 'ms/step', 'peak GB'], rows))
        rows = [[b, r['mpm_over_plain_time'], r.get('mpm_over_plain_memory'), r['pgd2_over_clean_time'],
                 r['pgd2_over_ideal'], r['plain_fraction_of_a100_anchor']] for b, r in thr['ratios'].items()]
        out.append(markdown_table(['batch', 'MPM/plain time', 'MPM/plain memory', 'PGD-2/clean time',
                                   'PGD-2/clean ÷ 3', 'plain ÷ A100 anchor (2,450/s)'], rows))
    num = report.parts.get('numerics')
    if num and num.get('regimes'):
        eps = list(num['regimes'][0]['modes']['fp32']['robust_correct'])
        rows = [[f'{r["median_one_minus_max_prob"]:.1e}', mode, *(m['robust_correct'][e] for e in eps),
                 m['zero_fraction'], m['zeroed_samples'], m['sign_agreement'], m['weighted_sign_agreement']]
                for r in num['regimes'] for mode, m in r['modes'].items()]
        out.append(f'PGD-{num["pgd_steps"]} on {num["batch"]} images of {num["image_size"]}², labels = clean '
                   f'predictions, fp16 logit-gradient scale {num["fp16_logit_grad_scale"]:g}\n'
                   + markdown_table(['median 1 - p_max', 'attack precision', *(f'robust, eps {e}' for e in eps),
                                     'zero grad', 'zeroed samples', 'sign agreement', 'weighted'], rows))
    timing = [[part, report.parts[part].get('seconds')] for part in PARTS if part in report.parts]
    out.append(markdown_table(['part', 'seconds'], timing))
    out.append(markdown_table(['part', 'check', 'value', 'target', 'ok'],
                              [[c['part'], c['check'], c['value'], c['target'], 'yes' if c['ok'] else 'NO']
                               for c in report.checks]))
    return '\n\n'.join(out)


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--out', default='work_dirs/gpu_check', help='output folder (gpu_check.json, runs, data)')
    parser.add_argument('--parts', default=','.join(PARTS), help=f'comma-separated subset of {",".join(PARTS)}')
    parser.add_argument('--channels-last', action='store_true', help='train steps of part 2 in channels-last')
    parser.add_argument('--dry-run', action='store_true', help='every part on the CPU at tiny sizes')
    args = parser.parse_args(argv)
    parts = [p.strip() for p in args.parts.split(',') if p.strip()]
    unknown = sorted(set(parts) - set(PARTS))
    if unknown:
        parser.error(f'unknown part(s) {unknown}: choose from {list(PARTS)}')
    if not args.dry_run and not torch.cuda.is_available():
        parser.error('no CUDA GPU is visible: run on a GPU node, or with --dry-run to check the script on the CPU')
    device = torch.device('cpu') if args.dry_run else torch.device('cuda', 0)
    sizes = DRY_RUN if args.dry_run else Sizes()
    if args.dry_run:
        torch.set_num_threads(1)  # tiny tensors: more threads only add synchronisation (and stall on a busy machine)
    out = Path(args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    register_all_modules(init_default_scope=False)

    report = Report()
    started = time.perf_counter()
    data = None
    for number, part in enumerate(parts, 1):
        print(f'[gpu_check] {number}/{len(parts)} {part} ...', flush=True)
        start = time.perf_counter()
        if part in ('ddp', 'maskrcnn') and data is None:
            data = synthetic_pinpp(out / 'synthetic_pinpp', images=2 * sizes.ddp_batch * max(
                1, torch.cuda.device_count() if device.type == 'cuda' else 1),
                unlabeled_per_class=-(-sizes.pseudo_label_images // 6))
        try:
            if part == 'env':
                check_env(report, device, sizes)
            elif part == 'throughput':
                check_throughput(report, device, sizes, args.channels_last)
            elif part == 'numerics':
                check_numerics(report, device, sizes)
            elif part == 'ddp':
                check_ddp(report, device, sizes, out, data)
            else:
                check_maskrcnn(report, device, sizes, out, data)
        except Exception as err:  # report the failure and go on: the other parts still say something
            report.check(part, 'ran without an exception', f'{type(err).__name__}: {err}', 'no exception', False)
            report.parts.setdefault(part, {})['error'] = f'{type(err).__name__}: {err}'
        report.parts.setdefault(part, {})['seconds'] = round(time.perf_counter() - start, 1)
        print(f'[gpu_check]   {part}: {report.parts[part]["seconds"]} s', flush=True)
    total = round(time.perf_counter() - started, 1)
    summary = dict(created=datetime.datetime.now().isoformat(timespec='seconds'), dry_run=args.dry_run,
                   host=platform.node(), total_seconds=total, sizes=asdict(sizes), ok=report.ok,
                   parts=report.parts, checks=report.checks)
    atomic_write_json(out / 'gpu_check.json', summary, indent=1)
    atomic_write_text(out / 'gpu_check.md', tables(report) + '\n')
    print(tables(report))
    crashed = [part for part, result in report.parts.items() if 'error' in result]
    if args.dry_run:  # the CPU's fp16 and tiny sizes say nothing about a GPU: only whether every step ran
        print(f'\n[gpu_check] dry run in {total} s: {"every part ran" if not crashed else f"FAILED: {crashed}"} '
              f'(checks shown, not judged, on the CPU); {out / "gpu_check.json"}')
        return 1 if crashed else 0
    print(f'\n[gpu_check] {"all checks passed" if report.ok else "SOME CHECKS FAILED"} in {total} s; '
          f'{out / "gpu_check.json"}')
    return 0 if report.ok else 1


if __name__ == '__main__':
    sys.exit(main())
