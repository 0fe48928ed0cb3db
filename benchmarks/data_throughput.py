"""Data-loading throughput of MPM's training pipeline against a same-operations torchvision pipeline (issue 25).

Input like ImageNet's, written in the PIN++ converter's training layout (``img/<wnid>/*.JPEG``,
``seg/<wnid>/<stem>.png`` written by the converter's own mask writer):

* JPEGs (quality 90, 4:2:0) cut from the real photographs scikit-image ships, at sizes drawn from an
  ImageNet-like distribution (long side 500 px for 80 %, the rest log-normal around it; 4:3 mostly, 90 %
  landscape; about 500×390 on average). The photographs are smaller and smoother than ImageNet's, so a
  camera-like grain (Gaussian, σ = 16) brings the files to about ImageNet's ~110 KB: JPEG decoding time
  grows with the bytes to entropy-decode;
* part masks as PIN++'s: one object of 2-6 parts (ellipses) with global part ids up to 3,310 over background 0,
  in the converter's indexed PNG layout (``seg/``) and in the 16-bit layout of before issue 25 (``seg_uint16/``,
  which the reference reads, as the PIN++ authors' masks).

Pipelines, each over the same images with the same seed:

* ``reference``: the PIN++ authors' loader's shape with torchvision transforms (timm is not installed): PIL
  decode, ``RandomResizedCrop`` (bicubic; the mask nearest, same box), horizontal flip, ``ColorJitter(0.1, 0.1,
  0.1)``, ``ToTensor`` + ``Normalize``, ``RandomErasing(0.25)``, the mask as an int64 tensor;
* ``mmpart-*``: mmpart's MPM train pipeline (``configs/_base_/datasets/pinpp_in1k_cls.py``): ``mmpart-recipe``
  as the full-scale recipes run it (colour jitter and random erasing on the batch, in the data preprocessor on the
  GPU), ``mmpart-cpu-augments`` with them in the loader (``train_pipeline_cpu_augments``, the pipeline before
  issue 25), ``mmpart-cpu-augments-uint16-masks`` the same on masks of the 16-bit layout.

Images/s per core: one process, ``torch.set_num_threads(1)``, CPU time of the process (other jobs on a shared
machine slow the wall clock, not this), pipelines interleaved round by round, the median of the rounds. Per
stage: CPU ms per image of each step (image decode, mask decode, crop+resize, flip, jitter, erasing, pack) and of
collating batches. The batch augments' CPU cost is measured too (what they cost where no GPU takes them), and JPEG
decoding alone with OpenCV, Pillow and simplejpeg (if installed). With N dataloader workers (``--workers``):
wall-clock images/s of the whole loader (which other jobs on the machine slow down), the workers' CPU time per
image, and each worker's resident memory (RSS) and the part of it that is its own. Files are read from the page
cache (disk speed is not measured).

    python benchmarks/data_throughput.py [--images 256] [--rounds 3] [--batch 64] [--workers 1 2]
        [--worker-repeats 4] [--out work_dirs/benchmarks/data_throughput.json] [--quick]
"""
import argparse
import datetime
import io
import os
import os.path as osp
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable, Dict, List, Sequence, Tuple

import cv2
import numpy as np
import torch
import torchvision.transforms as T
import torchvision.transforms.functional as F
from mmengine.config import Config
from mmengine.dataset import default_collate as mmengine_collate
from PIL import Image, ImageDraw
from torch.utils.data import DataLoader, Dataset
from torch.utils.data import default_collate as torch_collate

from mmpart.datasets.part_mask_io import write_part_mask
from mmpart.registry import DATASETS, MODELS, TRANSFORMS
from mmpart.utils import register_all_modules
from mmpart.utils.atomic_io import atomic_write_json

REPO = Path(__file__).resolve().parents[1]
RECIPE = REPO / 'configs/_base_/datasets/pinpp_in1k_cls.py'
PHOTOS = ('astronaut', 'chelsea', 'coffee', 'hubble_deep_field', 'immunohistochemistry', 'retina', 'rocket',
          'stereo_motorcycle')
NUM_CLASSES = 10
GRAIN = 16.0
STAGES = ('image decode', 'mask decode', 'crop+resize', 'flip', 'jitter', 'erasing', 'pack', 'collate')
# the step of the mmpart pipeline each transform is timed as
STAGE_OF = dict(LoadImageFromFile='image decode', LoadPartMask='mask decode', JointRandomResizedCrop='crop+resize',
                RandomFlip='flip', ColorJitter='jitter', RandomErasing='erasing', PackPartInputs='pack')


# ----------------------------------------------------------------------------------------------- data


def photographs() -> List[np.ndarray]:
    """The colour photographs scikit-image ships (RGB uint8)."""
    import skimage.data
    photos = []
    for name in PHOTOS:
        photo = getattr(skimage.data, name)()
        photos.append(photo[0] if isinstance(photo, tuple) else photo)  # stereo_motorcycle: (left, right, disparity)
    return photos


def imagenet_like_size(rng: np.random.Generator) -> Tuple[int, int]:
    """(width, height) from an ImageNet-like distribution: mostly 500 px long sides, 4:3, landscape."""
    long_side = 500 if rng.random() < 0.8 else int(np.clip(rng.lognormal(np.log(500), 0.45), 150, 2000))
    aspect = rng.choice([0.75, 0.666, 1.0], p=[0.7, 0.22, 0.08]) if rng.random() < 0.9 else rng.uniform(0.5, 0.9)
    short_side = int(round(long_side * aspect))
    return (long_side, short_side) if rng.random() < 0.9 else (short_side, long_side)


def object_part_mask(rng: np.random.Generator, width: int, height: int) -> np.ndarray:
    """One object of 2-6 parts (ellipses: a body, then smaller parts over it) with global ids over background 0."""
    canvas = Image.new('I', (width, height), 0)
    draw = ImageDraw.Draw(canvas)
    first_id, num_parts = int(rng.integers(1, 3305)), int(rng.integers(2, 7))
    cx, cy = rng.uniform(0.3, 0.7) * width, rng.uniform(0.3, 0.7) * height
    rx, ry = rng.uniform(0.15, 0.35) * width, rng.uniform(0.15, 0.35) * height
    draw.ellipse([cx - rx, cy - ry, cx + rx, cy + ry], fill=first_id)
    for part in range(1, num_parts):
        px, py = cx + rng.uniform(-1, 1) * rx, cy + rng.uniform(-1, 1) * ry
        r = rng.uniform(0.1, 0.4) * min(rx, ry)
        draw.ellipse([px - r, py - r * rng.uniform(0.5, 2), px + r, py + r], fill=first_id + part)
    return np.asarray(canvas).astype(np.uint16)


def make_data(root: str, num_images: int, seed: int = 0) -> dict:
    """Write ``num_images`` JPEGs and their part masks in the converter's layout under ``root``; their statistics."""
    rng = np.random.default_rng(seed)
    photos = [Image.fromarray(p) for p in photographs()]
    sizes, kilobytes = [], []
    for i in range(num_images):
        wnid = f'n{i % NUM_CLASSES:08d}'
        width, height = imagenet_like_size(rng)
        photo = photos[rng.integers(len(photos))]
        crop_w = min(photo.width, photo.height * width / height) * rng.uniform(0.85, 1)
        crop_h = crop_w * height / width
        x0, y0 = rng.uniform(0, photo.width - crop_w), rng.uniform(0, photo.height - crop_h)
        image = photo.resize((width, height), Image.Resampling.LANCZOS, box=(x0, y0, x0 + crop_w, y0 + crop_h))
        grainy = np.asarray(image, np.float32) + rng.normal(0, GRAIN, (height, width, 3))
        buffer = io.BytesIO()
        Image.fromarray(np.clip(grainy + 0.5, 0, 255).astype(np.uint8)).save(buffer, 'JPEG', quality=90)
        os.makedirs(osp.join(root, 'img', wnid), exist_ok=True)
        with open(osp.join(root, 'img', wnid, f'{wnid}_{i}.JPEG'), 'wb') as f:
            f.write(buffer.getvalue())
        mask = object_part_mask(rng, width, height)
        write_part_mask(osp.join(root, 'seg', wnid, f'{wnid}_{i}.png'), mask)  # the converter's layout
        write_part_mask(osp.join(root, 'seg_uint16', wnid, f'{wnid}_{i}.png'), mask, 'uint16')  # before issue 25
        sizes.append((width, height))
        kilobytes.append(len(buffer.getvalue()) / 1000)
    sizes = np.array(sizes)
    return dict(images=num_images, mean_width=float(sizes[:, 0].mean()), mean_height=float(sizes[:, 1].mean()),
                mean_jpeg_kb=float(np.mean(kilobytes)), median_jpeg_kb=float(np.median(kilobytes)),
                larger_than_500=float(np.mean(sizes.max(1) > 500)))


# ------------------------------------------------------------------------------------------ pipelines


class StageClock:
    """CPU seconds per stage, summed over calls."""

    def __init__(self) -> None:
        self.seconds: Dict[str, float] = {}

    def run(self, stage: str, fn: Callable, *args):
        start = time.process_time()
        out = fn(*args)
        self.seconds[stage] = self.seconds.get(stage, 0.0) + time.process_time() - start
        return out


def mmpart_pipeline(transforms: Sequence[dict]) -> Callable[[dict, StageClock], dict]:
    """mmpart's transforms, built from config dicts, timed one by one."""
    built = [TRANSFORMS.build(t) for t in transforms]

    def run(info: dict, clock: StageClock) -> dict:
        results = dict(info)
        for transform in built:
            results = clock.run(STAGE_OF.get(type(transform).__name__, type(transform).__name__), transform, results)
        return results

    return run


def reference_pipeline(size: int = 224) -> Callable[[dict, StageClock], tuple]:
    """The same operations as the PIN++ authors' loader (timm/torchvision on PIL images), timed by stage."""
    crop = T.RandomResizedCrop(size, interpolation=T.InterpolationMode.BICUBIC)
    jitter = T.ColorJitter(0.1, 0.1, 0.1)
    normalize = T.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])
    erasing = T.RandomErasing(p=0.25, scale=(0.02, 1 / 3), value='random')

    def decode(path):
        return Image.open(path).convert('RGB')

    def decode_mask(path):
        mask = Image.open(path)
        mask.load()
        return mask

    def crop_resize(img, mask):
        i, j, h, w = crop.get_params(img, crop.scale, crop.ratio)
        return (F.resized_crop(img, i, j, h, w, [size, size], T.InterpolationMode.BICUBIC),
                F.resized_crop(mask, i, j, h, w, [size, size], T.InterpolationMode.NEAREST))

    def flip(img, mask):
        return (F.hflip(img), F.hflip(mask)) if torch.rand(1) < 0.5 else (img, mask)

    def pack(img, mask):
        return normalize(F.to_tensor(img)), torch.from_numpy(np.asarray(mask, dtype=np.int64))

    def run(info: dict, clock: StageClock) -> tuple:
        img = clock.run('image decode', decode, info['img_path'])
        mask = clock.run('mask decode', decode_mask, info['seg_map_path'])
        img, mask = clock.run('crop+resize', crop_resize, img, mask)
        img, mask = clock.run('flip', flip, img, mask)
        img = clock.run('jitter', jitter, img)
        img, mask = clock.run('pack', pack, img, mask)
        img = clock.run('erasing', erasing, img)
        return img, info['gt_label'], mask

    return run


def variants(recipe: Config) -> Dict[str, Tuple[List[dict], str]]:
    """mmpart pipelines measured: name -> (transforms, mask folder), each with one lever more than the one before:
    the per-image pipeline (colour jitter and random erasing in the loader) on 16-bit masks, the same on the
    converter's indexed masks, and the recipe's (``train_pipeline``: the augments in the data preprocessor)."""
    return {
        'mmpart-cpu-augments-uint16-masks': (recipe.train_pipeline_cpu_augments, 'seg_uint16'),
        'mmpart-cpu-augments': (recipe.train_pipeline_cpu_augments, 'seg'),
        'mmpart-recipe': (recipe.train_pipeline, 'seg'),
    }


# ------------------------------------------------------------------------------------------ measuring


def samples(root: str, mask_folder: str) -> List[dict]:
    """The dataset's sample dicts (what its pipeline receives), masks from ``mask_folder``."""
    dataset = DATASETS.build(dict(type='PINPPDataset', data_root=root, part_id_file=None, pipeline=[],
                                  data_prefix=dict(img_path='img', seg_map_path=mask_folder)))
    return [dataset.get_data_info(i) for i in range(len(dataset))]


def one_pass(run: Callable, infos: List[dict], collate: Callable, batch: int, seed: int) -> Tuple[float, dict]:
    """CPU seconds of the pipeline and collation over all samples, and the seconds per stage."""
    np.random.seed(seed)
    torch.manual_seed(seed)
    clock = StageClock()
    start = time.process_time()
    outputs = []
    for info in infos:
        outputs.append(run(info, clock))
        if len(outputs) == batch:
            clock.run('collate', collate, outputs)
            outputs = []
    if outputs:
        clock.run('collate', collate, outputs)
    return time.process_time() - start, clock.seconds


def per_core(pipelines: Dict[str, Tuple[Callable, List[dict], Callable]], rounds: int, batch: int) -> dict:
    """Images/s per core (median of interleaved rounds) and ms per image of each stage (median)."""
    totals = {name: [] for name in pipelines}
    stages = {name: [] for name in pipelines}
    for r in range(rounds + 1):  # round 0 warms caches up and is not counted
        for name, (run, infos, collate) in pipelines.items():
            seconds, per_stage = one_pass(run, infos, collate, batch, seed=r)
            if r:
                totals[name].append(len(infos) / seconds)
                stages[name].append({k: v / len(infos) * 1000 for k, v in per_stage.items()})
    return {name: dict(images_per_s=statistics.median(totals[name]), rounds=totals[name],
                       stage_ms={k: statistics.median(s[k] for s in stages[name]) for k in stages[name][0]})
            for name in pipelines}


class PipelineDataset(Dataset):
    """Samples through a pipeline (the per-core runner's), for torch's DataLoader."""

    def __init__(self, run: Callable, infos: List[dict]) -> None:
        self.run, self.infos = run, infos

    def __len__(self) -> int:
        return len(self.infos)

    def __getitem__(self, index: int):
        return self.run(self.infos[index], StageClock())


def memory_mb(pid: int) -> Tuple[float, float]:
    """Resident memory of a process and the part of it no other process shares (Private_*), in MB; 0 once it
    has exited. A forked worker's RSS counts the parent's pages it shares; its private memory is its own cost."""
    try:
        with open(f'/proc/{pid}/smaps_rollup') as f:
            fields = {line.split(':')[0]: int(line.split()[1]) for line in f if line.split()[-1] == 'kB'}
    except FileNotFoundError:
        return 0.0, 0.0
    return fields['Rss'] / 1024, (fields['Private_Clean'] + fields['Private_Dirty']) / 1024


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (0 once it has exited)."""
    try:
        with open(f'/proc/{pid}/stat') as f:
            fields = f.read().rsplit(')', 1)[1].split()
    except FileNotFoundError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf('SC_CLK_TCK')  # utime, stime


def with_workers(run: Callable, infos: List[dict], collate: Callable, batch: int, num_workers: int,
                 repeats: int) -> dict:
    """A DataLoader with ``num_workers`` workers over the samples ``repeats`` times: wall-clock images/s after its
    first batch, its workers' CPU ms per image (which a loaded machine disturbs less), their peak RSS and private
    memory."""
    loader = DataLoader(PipelineDataset(run, infos * repeats), batch_size=batch, num_workers=num_workers,
                        collate_fn=collate, shuffle=False, persistent_workers=False)
    iterator = iter(loader)
    first = next(iterator)  # workers started and warm; the wall clock starts after the first batch
    pids = [w.pid for w in iterator._workers]  # torch keeps the worker processes there
    peak, cpu = [(0.0, 0.0)] * num_workers, [0.0] * num_workers
    start, count = time.perf_counter(), 0
    for data in iterator:
        count += len(data[1]) if isinstance(data, (list, tuple)) else len(data['inputs'])
        peak = [tuple(map(max, p, memory_mb(pid))) for p, pid in zip(peak, pids)]
        cpu = [max(c, cpu_seconds(pid)) for c, pid in zip(cpu, pids)]  # read while the workers are alive
    seconds = time.perf_counter() - start
    total = count + (len(first[1]) if isinstance(first, (list, tuple)) else len(first['inputs']))
    return dict(images_per_s=count / seconds if count else float('nan'), images=count,
                worker_cpu_ms_per_image=sum(cpu) / total * 1000,
                worker_rss_mb=[p[0] for p in peak], worker_private_mb=[p[1] for p in peak])


def device_augments_ms(recipe: Config, batch: int, rounds: int) -> Dict[str, float]:
    """CPU ms per image of the recipe's data preprocessor in training (the batch colour jitter, random erasing and
    normalisation that the GPU runs) and of mmpretrain's ClsDataPreprocessor (normalisation only), on this CPU with
    one thread: what the augments cost where no GPU takes them."""
    preprocessor = MODELS.build(recipe.data_preprocessor)
    plain = MODELS.build(dict(type='ClsDataPreprocessor', mean=recipe.data_preprocessor.mean,
                              std=recipe.data_preprocessor.std, to_rgb=True))
    images = torch.randint(0, 256, (batch, 3, 224, 224), dtype=torch.uint8, generator=torch.Generator().manual_seed(0))
    times = {'pixel-augment preprocessor': [], 'ClsDataPreprocessor': []}
    for _ in range(rounds + 1):
        for name, module in (('pixel-augment preprocessor', preprocessor), ('ClsDataPreprocessor', plain)):
            start = time.process_time()
            module(dict(inputs=images), training=True)
            times[name].append((time.process_time() - start) / batch * 1000)
    return {name: statistics.median(t[1:]) for name, t in times.items()}


def decoders_ms(infos: List[dict], rounds: int) -> Dict[str, float]:
    """CPU ms per image of decoding the JPEGs with OpenCV (what LoadImageFromFile uses), Pillow and, where it is
    installed, simplejpeg (libjpeg-turbo 3 without Pillow's overhead): median of ``rounds``."""
    data = [open(info['img_path'], 'rb').read() for info in infos]
    decoders = {'opencv': lambda b: cv2.imdecode(np.frombuffer(b, np.uint8), cv2.IMREAD_COLOR),
                'pillow': lambda b: Image.open(io.BytesIO(b)).load()}
    try:
        import simplejpeg
        decoders['simplejpeg'] = lambda b: simplejpeg.decode_jpeg(b, colorspace='BGR')
    except ImportError:
        pass
    times = {name: [] for name in decoders}
    for _ in range(rounds + 1):
        for name, decode in decoders.items():
            start = time.process_time()
            for b in data:
                decode(b)
            times[name].append((time.process_time() - start) / len(data) * 1000)
    return {name: statistics.median(t[1:]) for name, t in times.items()}


def load_average() -> List[float]:
    return [round(x, 2) for x in os.getloadavg()]


def table(rows: List[List[str]], header: List[str]) -> str:
    widths = [max(len(str(r[i])) for r in rows + [header]) for i in range(len(header))]
    lines = ['  '.join(str(h).ljust(w) for h, w in zip(header, widths))]
    lines += ['  '.join(str(c).ljust(w) for c, w in zip(r, widths)) for r in rows]
    return '\n'.join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--images', type=int, default=256, help='images generated and loaded per round')
    parser.add_argument('--rounds', type=int, default=3, help='timed rounds per pipeline (median)')
    parser.add_argument('--batch', type=int, default=64, help='batch size of the collation and of the workers')
    parser.add_argument('--workers', type=int, nargs='*', default=[1, 2], help='dataloader worker counts to run')
    parser.add_argument('--worker-repeats', type=int, default=4, help='passes over the images of each loader run')
    parser.add_argument('--out', default='work_dirs/benchmarks/data_throughput.json', help='JSON results')
    parser.add_argument('--quick', action='store_true', help='CI-sized: 24 images, 1 round, batch 8, 1 worker')
    args = parser.parse_args()
    if args.quick:
        args.images, args.rounds, args.batch, args.workers, args.worker_repeats = 24, 1, 8, [1], 1
    torch.set_num_threads(1)
    cv2.setNumThreads(0)  # as mmengine's runner sets it (opencv_num_threads=0)
    register_all_modules()

    load_before = load_average()
    with tempfile.TemporaryDirectory(prefix='data_throughput_') as root:
        data = make_data(root, args.images)
        print(f'{data["images"]} ImageNet-like JPEGs, mean {data["mean_width"]:.0f}x{data["mean_height"]:.0f} px, '
              f'{data["mean_jpeg_kb"]:.0f} KB (median {data["median_jpeg_kb"]:.0f}); PIN++-like uint16 part masks')
        reference = reference_pipeline()
        recipe = Config.fromfile(str(RECIPE))
        pipelines = {'reference': (reference, samples(root, 'seg_uint16'), torch_collate)}
        for name, (transforms, mask_folder) in variants(recipe).items():
            pipelines[name] = (mmpart_pipeline(transforms), samples(root, mask_folder), mmengine_collate)
        results = per_core(pipelines, args.rounds, args.batch)
        device_ms = device_augments_ms(recipe, args.batch, args.rounds)
        decode_ms = decoders_ms(pipelines['reference'][1], args.rounds)
        loaders = {}
        for num_workers in args.workers:
            for name in ('reference', 'mmpart-recipe'):
                run, infos, collate = pipelines[name]
                loaders[f'{name}, {num_workers} worker(s)'] = with_workers(run, infos, collate, args.batch,
                                                                           num_workers, args.worker_repeats)
    load_after = load_average()

    ref = results['reference']['images_per_s']
    print(f'\nper core (1 process, 1 thread, CPU time, median of {args.rounds} interleaved rounds; '
          f'load average before {load_before}, after {load_after}; {os.cpu_count()} CPUs):')
    rows = [[name, f'{r["images_per_s"]:.0f}', f'{r["images_per_s"] / ref:.2f}x',
             *[f'{r["stage_ms"].get(s, 0):.2f}' for s in STAGES]] for name, r in results.items()]
    print(table(rows, ['pipeline', 'img/s', 'vs ref', *[f'{s} ms' for s in STAGES]]))
    print(f'\ndataloader ({args.worker_repeats} passes over the images, batch {args.batch}):')
    print(table([[name, f'{r["images_per_s"]:.0f}', f'{r["worker_cpu_ms_per_image"]:.2f}',
                  ' '.join(f'{m:.0f}' for m in r['worker_rss_mb']),
                  ' '.join(f'{m:.0f}' for m in r['worker_private_mb'])] for name, r in loaders.items()],
                ['loader', 'img/s (wall)', 'worker CPU ms/img', 'worker RSS MB', 'worker private MB']))
    extra_ms = device_ms['pixel-augment preprocessor'] - device_ms['ClsDataPreprocessor']
    print(f'\ndata preprocessor in training, CPU ms per image (batch {args.batch}): '
          + ', '.join(f'{k} {v:.2f}' for k, v in device_ms.items())
          + f'; the batch augments {extra_ms:.2f} ms: on a GPU they take almost nothing')
    print('JPEG decoding alone, CPU ms per image: ' + ', '.join(f'{k} {v:.2f}' for k, v in decode_ms.items()))
    ratio = results['mmpart-recipe']['images_per_s'] / ref
    recipe_ms = 1000 / results['mmpart-recipe']['images_per_s']
    cpu_only = 1000 / (recipe_ms + extra_ms) / ref
    print(f'mmpart recipe / reference, per core: {ratio:.2f}x (goal >= 1.50x); '
          f'{cpu_only:.2f}x with the batch augments on this CPU too')
    report = dict(date=datetime.date.today().isoformat(), argv=sys.argv[1:], cpus=os.cpu_count(),
                  load_average_before=load_before, load_average_after=load_after, torch=torch.__version__,
                  data=data, per_core=results, dataloader=loaders, device_augments_cpu_ms=device_ms,
                  jpeg_decode_ms=decode_ms,
                  recipe_vs_reference=ratio, recipe_with_augments_on_cpu_vs_reference=cpu_only)
    atomic_write_json(args.out, report, indent=1)
    print(f'results: {args.out}')


if __name__ == '__main__':
    main()
