"""Accuracy of MPM trained with the point-sampled part loss (the recipe) vs the dense one, over seeds.

On the synthetic PIN++ set of ``make demo`` (same generator arguments), trains ``configs/mpm/mpm_r18_synthetic.py``
(PGD-2 adversarial training, EMA, 20 epochs) once per seed with its part loss as configured (sampled) and with
``model.part_head.num_points=None`` (dense), then evaluates each final checkpoint (EMA weights) clean and under
PGD-10 at ε = 4/255 (``tools/analysis_tools/robustness_report.py``'s evaluation) on the held-out val split.
Prints per-seed numbers and, per variant, mean ± sample std over seeds; the difference of the means is
compared with its seed noise (standard error of a difference of two means). Writes ``summary_*.{md,json}``.

A killed run resumes: finished trainings (a final checkpoint) and evaluations (their JSON) are kept, and
another ``--num-points`` reuses the dense runs. CPU-heavy (6 trainings of a few minutes each on 2 idle
cores): run it with ``nice`` (and ``OMP_NUM_THREADS=1`` on a busy machine).

    python benchmarks/mpm_sampled_vs_dense.py [--work-dir work_dirs/mpm_sampled_vs_dense] [--seeds 0 1 2]
        [--num-points '[25, 12, 6]']   # another setting than the config's
"""
import argparse
import json
import os.path as osp
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, List

from mmengine.config import Config

from mmpart.datasets.converters.pinpp_converter import convert_pinpp
from mmpart.datasets.converters.synthetic_pinpp import make_synthetic_pinpp
from mmpart.evaluation.report import robustness_report
from mmpart.evaluation.tables import markdown_table
from mmpart.utils import atomic_write_json, atomic_write_text, register_all_modules

REPO = Path(__file__).resolve().parents[1]
CONFIG = str(REPO / 'configs/mpm/mpm_r18_synthetic.py')
EPS, PGD_STEPS = 4, 10


def make_data(root: str) -> None:
    """The demo's synthetic release (seed 0) converted as the demo does, unless already there."""
    if osp.isfile(osp.join(root, 'converted', 'part_ids.json')):
        return
    make_synthetic_pinpp(root, images_per_class=48, unlabeled_per_class=16, val_per_class=16, seed=0)
    convert_pinpp(osp.join(root, 'pinpp'), osp.join(root, 'imagenet', 'train'), osp.join(root, 'converted'),
                  val_ratio=0.2)


def data_options(root: str) -> List[str]:
    """``--cfg-options`` pointing the config's loaders at ``root``."""
    return [f'train_dataloader.dataset.data_root={root}/',
            *(f'{loader}.dataset.data_root={root}/imagenet/' for loader in ('val_dataloader', 'test_dataloader'))]


def train(work_dir: str, seed: int, options: List[str]) -> str:
    """Train (unless a finished run is in ``work_dir``); returns the final checkpoint."""
    epochs = Config.fromfile(CONFIG).train_cfg.max_epochs
    final = osp.join(work_dir, f'epoch_{epochs}.pth')
    if not osp.isfile(final):
        with open(osp.join(work_dir + '.log'), 'w') as log:
            subprocess.run([sys.executable, str(REPO / 'tools/train.py'), CONFIG, '--work-dir', work_dir,
                            '--cfg-options', f'randomness.seed={seed}', *options],
                           check=True, stdout=log, stderr=subprocess.STDOUT)
    return final


def variants(num_points: list) -> Dict[str, List[str]]:
    """Run name prefix (with the setting, so that settings do not mix) → ``--cfg-options`` of each variant."""
    setting = '-'.join(f'{n:g}' for n in num_points)
    return {f'sampled_{setting}': [f'model.part_head.num_points={json.dumps(num_points, separators=(",", ":"))}'],
            'dense': ['model.part_head.num_points=None']}


def summary_rows(results: Dict[str, Dict[str, dict]], names: List[str], seeds: List[int]) -> List[list]:
    """Per variant and metric: the seeds' numbers, mean, std; then sampled - dense and its seed noise."""
    metrics = {'clean': 'accuracy/top1', f'pgd{PGD_STEPS}_eps{EPS}': 'accuracy/robust_top1'}
    rows = []
    for metric, key in metrics.items():
        values = {v: [results[f'{v}_seed{s}'][f'pgd{PGD_STEPS}_eps{EPS}'][key] for s in seeds] for v in names}
        for variant, vals in values.items():
            rows.append([metric, variant, *vals, statistics.mean(vals), statistics.stdev(vals)])
        diff = statistics.mean(values[names[0]]) - statistics.mean(values['dense'])
        noise = (sum(statistics.variance(v) for v in values.values()) / len(seeds))**0.5
        rows.append([metric, 'sampled - dense', *[None] * len(seeds), diff,
                     f'seed noise {noise:.2f}: {"within" if abs(diff) <= 2 * noise else "OUTSIDE"} 2 x noise'])
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--work-dir', default='work_dirs/mpm_sampled_vs_dense')
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    parser.add_argument('--num-points', type=json.loads, help='part_head.num_points of the sampled runs (JSON); '
                        'default: the config\'s')
    args = parser.parse_args()
    register_all_modules()
    num_points = args.num_points or Config.fromfile(CONFIG).model.part_head.num_points
    runs = variants(num_points if isinstance(num_points, list) else [num_points])
    work_dir = osp.abspath(args.work_dir)
    data = osp.join(work_dir, 'data')
    make_data(data)
    start = time.time()
    models = []
    for seed in args.seeds:
        for variant, options in runs.items():
            name = f'{variant}_seed{seed}'
            print(f'[{time.time() - start:6.0f} s] training {name}', flush=True)
            models.append((name, CONFIG, train(osp.join(work_dir, name), seed, data_options(data) + options)))
    print(f'[{time.time() - start:6.0f} s] evaluating: clean and PGD-{PGD_STEPS} at eps {EPS}/255', flush=True)
    test_data = {'test_dataloader.dataset.data_root': f'{data}/imagenet/'}
    results = robustness_report(models, osp.join(work_dir, 'report'), eps=[EPS], pgd_steps=PGD_STEPS,
                                cfg_options=test_data)
    header = ['metric', 'variant', *(f'seed {s}' for s in args.seeds), 'mean', 'std']
    table = markdown_table(header, summary_rows(results, list(runs), args.seeds))
    text = (f'MPM R-18 on synthetic PIN++, sampled (num_points={num_points}) vs dense part loss, '
            f'top-1 % on the val split:\n\n{table}\n')
    name = f'summary_{list(runs)[0]}'
    atomic_write_text(osp.join(work_dir, f'{name}.md'), text)
    atomic_write_json(osp.join(work_dir, f'{name}.json'), dict(num_points=num_points, seeds=args.seeds,
                                                               results=results), indent=2)
    print(f'[{time.time() - start:6.0f} s] done\n\n{text}')


if __name__ == '__main__':
    main()
