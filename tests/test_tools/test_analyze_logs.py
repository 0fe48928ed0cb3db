"""tools/analysis_tools/analyze_logs.py: curves of several runs from mmengine json logs, summary, train time."""
import json
import runpy
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from mmpart.analysis import curve_keys, load_run, train_time

TOOL = str(Path(__file__).resolve().parents[2] / 'tools' / 'analysis_tools' / 'analyze_logs.py')


def run_tool(monkeypatch, *args) -> None:
    monkeypatch.setattr(sys, 'argv', [TOOL, *args])
    runpy.run_path(TOOL, run_name='__main__')


def write_log(work_dir: Path, records: list) -> Path:
    """An mmengine-style run: ``<work_dir>/<timestamp>/vis_data/<timestamp>.json``."""
    path = work_dir / '20260101_000000' / 'vis_data' / '20260101_000000.json'
    path.parent.mkdir(parents=True)
    path.write_text(''.join(json.dumps(r) + '\n' for r in records))
    return path


def train_record(epoch: int, step: int, loss: float, time: float = 1.0) -> dict:
    return dict(lr=0.1, data_time=0.1, loss=loss, time=time, epoch=epoch, iter=step, step=step)


@pytest.fixture
def hand_logs(tmp_path):
    """Two runs of 2 epochs x 4 iterations, logged every 2 iterations and validated after each epoch."""
    a = write_log(tmp_path / 'run_a', [train_record(1, 2, 4.0, 9.0), train_record(1, 4, 3.0), dict(**{
        'accuracy/top1': 40.0}, step=1), train_record(2, 6, 2.0, 3.0), train_record(2, 8, 1.0), dict(**{
            'accuracy/top1': 30.0}, step=2)])
    b = write_log(tmp_path / 'run_b', [train_record(1, 2, 5.0), train_record(1, 4, 4.5), dict(**{
        'accuracy/top1': 20.0}, step=1)])
    return a, b


def test_curves_are_in_epochs_and_the_summary_is_last_and_best(hand_logs, tmp_path, monkeypatch, capsys):
    a, b = hand_logs
    run = load_run(str(a.parents[2]))
    assert run.name == 'run_a' and run.iters_per_epoch == 4
    xs, ys = run.curve('loss')
    np.testing.assert_allclose(xs, [0.5, 1.0, 1.5, 2.0])
    np.testing.assert_allclose(ys, [4.0, 3.0, 2.0, 1.0])
    xs, ys = run.curve('accuracy/top1')  # validation: at the epoch it followed
    np.testing.assert_allclose(xs, [1, 2])
    np.testing.assert_allclose(ys, [40, 30])

    out = tmp_path / 'curves.png'
    run_tool(monkeypatch, 'plot_curve', str(a.parents[2]), str(b), '--out', str(out))
    assert Image.open(out).size[0] > 0
    summary = json.loads(out.with_suffix('.json').read_text())
    assert summary['keys'] == ['loss', 'accuracy/top1', 'lr']
    assert summary['summary'] == [
        {'run': 'run_a', 'accuracy/top1 last': 30.0, 'accuracy/top1 best': 40.0},
        {'run': 'run_b', 'accuracy/top1 last': 20.0, 'accuracy/top1 best': 20.0}]
    assert '| run_a | 30.00 | 40.00 |' in capsys.readouterr().out


def test_train_time_leaves_out_the_first_window(hand_logs):
    assert train_time(load_run(str(hand_logs[0])))['time'] == pytest.approx((1.0 + 3.0 + 1.0) / 3)


def test_unknown_keys_and_missing_logs_are_named(hand_logs, tmp_path):
    with pytest.raises(ValueError, match=r"\['loss_part_s0'\] not in the logs.*'loss'"):
        curve_keys([load_run(str(hand_logs[0]))], ['loss', 'loss_part_s0'])
    (tmp_path / 'empty').mkdir()
    with pytest.raises(FileNotFoundError, match='no mmengine json log'):
        load_run(str(tmp_path / 'empty'))
    with pytest.raises(FileNotFoundError, match='missing: no such file or directory'):
        load_run(str(tmp_path / 'missing'))


def test_plots_the_part_losses_and_robust_accuracy_of_a_real_run(mpm_run, tmp_path, monkeypatch):
    out = tmp_path / 'mpm.png'
    run_tool(monkeypatch, 'plot_curve', str(mpm_run['work_dir']), '--legend', 'mpm', '--out', str(out))
    summary = json.loads(out.with_suffix('.json').read_text())
    assert summary['keys'] == ['loss', 'loss_cls', 'loss_part_s0', 'loss_part_s1', 'loss_part_s2', 'acc_part',
                               'accuracy/top1', 'accuracy/robust_top1', 'lr']
    log = next(mpm_run['work_dir'].glob('*/vis_data/2*.json'))
    last_val = [json.loads(line) for line in log.read_text().splitlines() if 'lr' not in line][-1]
    assert summary['summary'][0]['accuracy/robust_top1 last'] == last_val['accuracy/robust_top1']
    assert out.stat().st_size > 0
