"""Side-by-side comparison of checkpoints on their configs' own test loops (few-shot, detection, segmentation)."""
import os.path as osp
from functools import partial
from typing import Dict, Optional, Sequence, Tuple

from mmengine.logging import print_log

from mmpart.utils import atomic_write_json, atomic_write_text

from .report import Metrics, cached, evaluation_config, evaluation_key, run_evaluation
from .tables import markdown_table

__all__ = ['compare_checkpoints']


def compare_checkpoints(models: Sequence[Tuple[str, str, str]], out_dir: str, keys: Optional[Sequence[str]] = None,
                        title: str = 'comparison', cfg_options: Optional[dict] = None,
                        force: bool = False) -> Dict[str, Metrics]:
    """Test every ``(name, config, checkpoint)`` as ``tools/test.py`` would and tabulate the metrics ``keys``.

    Writes ``<out_dir>/comparison.{md,json}``; each model's metrics are kept in ``<out_dir>/<name>.json`` and
    reused on a rerun with the same config (after ``cfg_options``) and checkpoint content unless ``force``.
    ``keys`` default to every metric of the first model.
    """
    results: Dict[str, Metrics] = {}
    for name, config, checkpoint in models:
        print_log(f'{title}: testing {name} ({config}, {checkpoint})', logger='current')
        cfg = evaluation_config(config, checkpoint, osp.join(out_dir, name), cfg_options=cfg_options)
        results[name] = cached(osp.join(out_dir, f'{name}.json'), evaluation_key(cfg, checkpoint),
                               partial(run_evaluation, cfg), force)['metrics']
    keys = list(keys or next(iter(results.values())))
    missing = [(name, key) for name, metrics in results.items() for key in keys if key not in metrics]
    if missing:
        name, key = missing[0]
        raise KeyError(f'{title}: {name} has no metric {key!r}; it has {sorted(results[name])}')
    table = markdown_table(['model', *keys], [[name, *(metrics[k] for k in keys)] for name, metrics in results.items()])
    atomic_write_text(osp.join(out_dir, 'comparison.md'), f'# {title}\n\n{table}\n')
    atomic_write_json(osp.join(out_dir, 'comparison.json'), dict(
        title=title, models={n: dict(config=c, checkpoint=k) for n, c, k in models}, keys=keys, results=results),
                      indent=2)
    print(f'{title}:\n\n{table}\n')
    return results
