"""README's examples marked runnable after `make demo` run as typed.

Every block that README.md marks ``<!-- runnable after make demo -->`` is read from README itself, so the check
cannot fall behind it: each path in its commands must be one the repository has (configs, tools, demo) or one
`make demo` writes (the checkpoints of tools/demo.sh's runs, named from their configs' schedules; its synthetic
images), and its ``python`` commands and Python blocks run, in the repository root's layout, on a small demo-like
tree (the session's synthetic PIN++ set, randomly initialised checkpoints of the demo's configs, hand-written
logs). ``mim`` commands are checked for their paths only: tests/test_tools/test_mim.py runs mim.
"""
import functools
import json
import re
import runpy
import shlex
import sys
from pathlib import Path
from typing import Dict, List, Tuple

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope

from mmpart.datasets.part_id_table import PartIdTable
from mmpart.registry import MODELS
from mmpart.utils import register_all_modules

REPO = Path(__file__).resolve().parents[1]
MARK = '<!-- runnable after make demo -->'
DEMO_SCRIPT = (REPO / 'tools' / 'demo.sh').read_text()


def runnable_blocks() -> List[Tuple[str, str]]:
    """``(language, code)`` of README's blocks marked runnable."""
    return re.findall(re.escape(MARK) + r'\n```(\w+)\n(.*?)\n```', (REPO / 'README.md').read_text(), re.S)


def commands(code: str) -> List[List[str]]:
    """The shell commands of a bash block, as argument lists (continuation lines joined, comments dropped)."""
    return [args for args in (shlex.split(line, comments=True) for line in code.replace('\\\n', ' ').splitlines())
            if args]


def demo_runs() -> Dict[str, str]:
    """``work_dirs/demo/<run>`` → config of each training run of tools/demo.sh."""
    configs = dict(re.findall(r'^(\w+_cfg)=(\S+)$', DEMO_SCRIPT, re.M))
    runs = re.findall(r'tools/train\.py "\$(\w+_cfg)" --work-dir "\$out/(\w+)"', DEMO_SCRIPT)
    return {f'work_dirs/demo/{run}': configs[variable] for variable, run in runs}


def final_checkpoint(config: str) -> str:
    """The checkpoint a run of ``config`` ends with: ``epoch_<max_epochs>.pth`` or ``iter_<max_iters>.pth``."""
    train_cfg = Config.fromfile(str(REPO / config)).train_cfg
    return f'epoch_{train_cfg.max_epochs}.pth' if 'max_epochs' in train_cfg else f'iter_{train_cfg.max_iters}.pth'


@functools.lru_cache
def demo_outputs() -> frozenset:
    """The run dirs and checkpoints `make demo` writes."""
    return frozenset(path for run, config in demo_runs().items() for path in (run, f'{run}/{final_checkpoint(config)}'))


def demo_image(path: str) -> bool:
    """Whether ``path`` is a val image of tools/demo.sh's synthetic set (6 classes, ``--val-per-class`` each)."""
    per_class = int(re.search(r'--val-per-class (\d+)', DEMO_SCRIPT).group(1))
    match = re.fullmatch(r'data/synthetic_pinpp/imagenet/val/(n9000000[0-5])/\1_val_(\d+)\.JPEG', path)
    return bool(match) and int(match.group(2)) < per_class


BLOCKS = runnable_blocks()
PYTHON_BLOCKS = [(i, code) for i, (language, code) in enumerate(BLOCKS) if language == 'python'] + [
    (i, code) for i, (language, code) in enumerate(BLOCKS)
    if language == 'bash' and all(args[0] == 'python' for args in commands(code))]


def test_readme_marks_a_runnable_form_for_every_tool():
    sections = re.split(r'^### ', (REPO / 'README.md').read_text().split('\n## Useful tools\n')[1].split('\n## ')[0],
                        flags=re.M)[1:]
    without = [s.splitlines()[0] for s in sections if MARK not in s and not s.startswith(('Logging to', 'Model zoo'))]
    assert not without, f'README "Useful tools" sections without a runnable example: {without}'
    assert len(BLOCKS) >= 8 and len(PYTHON_BLOCKS) >= 7


@pytest.mark.parametrize('code', [code for _, code in BLOCKS], ids=[f'block{i}' for i in range(len(BLOCKS))])
def test_every_path_is_in_the_repository_or_written_by_make_demo(code):
    tokens = [token for args in commands(code) for token in args] if not code.startswith(('from', 'import')) else \
        re.findall(r"'([^']+)'", code)
    outputs = demo_outputs()
    for token in tokens:
        if token.startswith(('configs/', 'tools/', 'demo/')):
            assert (REPO / token).exists(), f'{token}: not in the repository'
        elif token.startswith('work_dirs/demo'):
            assert token in outputs, f'{token}: not written by make demo (it writes {sorted(outputs)})'
        elif token.startswith('data/'):
            assert demo_image(token), f'{token}: not an image of make demo\'s synthetic set'


@pytest.fixture(scope='module')
def demo_tree(synthetic_pinpp, tmp_path_factory):
    """The repository root's layout after `make demo`, small: configs/, tools/, demo/ linked, the session's
    synthetic set as data/synthetic_pinpp, randomly initialised final checkpoints and hand-written logs of the
    demo's runs."""
    register_all_modules(init_default_scope=False)
    tree = tmp_path_factory.mktemp('demo_tree')
    for name in ('configs', 'tools', 'demo'):
        (tree / name).symlink_to(REPO / name)
    (tree / 'data').mkdir()
    (tree / 'data' / 'synthetic_pinpp').symlink_to(synthetic_pinpp)
    table = PartIdTable.load(str(synthetic_pinpp / 'converted' / 'part_ids.json'))
    for run, config in demo_runs().items():
        cfg = Config.fromfile(str(REPO / config))
        with DefaultScope.overwrite_default_scope('mmpart'):
            model = MODELS.build(cfg.model)
        detector = 'max_iters' in cfg.train_cfg
        meta = dict(classes=list(table.class_names()[1:])) if detector else dict(
            classes=list(table.wnids), part_classes=list(table.class_names()))
        work_dir = tree / run
        work_dir.mkdir(parents=True)
        checkpoint = work_dir / final_checkpoint(config)
        torch.save(dict(state_dict=model.state_dict(), meta=dict(dataset_meta=meta)), checkpoint)
        (work_dir / 'last_checkpoint').write_text(str(checkpoint))
        write_log(work_dir, detector)
    return tree


def write_log(work_dir: Path, iteration_based: bool) -> None:
    """A json log of a short run: train records every 2 iterations, validation after each of 2 epochs."""
    records = []
    for step in range(2, 9, 2):
        record = dict(lr=0.1, data_time=0.1, time=1.0, loss=1.0 / step, loss_cls=0.5 / step, acc_part=10.0 * step,
                      iter=step, step=step)
        records.append(record if iteration_based else dict(record, epoch=(step - 1) // 4 + 1))
        if step % 4 == 0:
            records.append({'accuracy/top1': 10.0 * step, 'accuracy/robust_top1': 5.0 * step,
                            'step': 0 if iteration_based else step // 4})
    vis_data = work_dir / '20260101_000000' / 'vis_data'
    vis_data.mkdir(parents=True)
    (vis_data / '20260101_000000.json').write_text(''.join(json.dumps(r) + '\n' for r in records))


@pytest.mark.parametrize('code', [code for _, code in PYTHON_BLOCKS], ids=[f'block{i}' for i, _ in PYTHON_BLOCKS])
def test_the_commands_run_as_typed_on_a_demo_like_tree(code, demo_tree, monkeypatch):
    monkeypatch.chdir(demo_tree)
    if not code.startswith('python '):  # a Python block
        exec(compile(code, 'README.md', 'exec'), {})
        return
    for args in commands(code):
        script = str(demo_tree / args[1])
        monkeypatch.setattr(sys, 'argv', [script, *args[2:]])
        try:
            runpy.run_path(script, run_name='__main__')
        except SystemExit as done:
            assert done.code in (0, None), f'{shlex.join(args)} exited with {done.code}'
