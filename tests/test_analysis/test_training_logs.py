"""x axes of training curves on hand-written mmengine json logs: real iterations per epoch (not the last logged
step), validation of iteration-based runs at the iteration it ran (mmengine logs it at step 0)."""
import json
from pathlib import Path
from typing import Optional

import numpy as np
import pytest

from mmpart.analysis.training_logs import iters_per_epoch, load_run


def write_run(work_dir: Path, records: list, config: Optional[str] = None) -> Path:
    """``<work_dir>/<timestamp>/vis_data/<timestamp>.json`` (and the ``config.py`` mmengine saves beside it)."""
    vis_data = work_dir / '20260101_000000' / 'vis_data'
    vis_data.mkdir(parents=True)
    (vis_data / '20260101_000000.json').write_text(''.join(json.dumps(r) + '\n' for r in records))
    if config is not None:
        (vis_data / 'config.py').write_text(config)
    return work_dir


def epoch_run(epochs: int, iters: int, interval: int) -> list:
    """An epoch-based run as mmengine logs it: train records every ``interval`` iterations of each epoch (the last
    partial window dropped; ``iter`` and ``step`` are both the global iteration), val after each epoch at
    ``step = epoch``."""
    records = []
    for epoch in range(1, epochs + 1):
        for inner in range(interval, iters + 1, interval):
            step = (epoch - 1) * iters + inner
            records.append(dict(lr=0.1, loss=1.0 / step, time=1.0, data_time=0.1, epoch=epoch, iter=step, step=step))
        records.append({'accuracy/top1': float(epoch), 'step': epoch})
    return records


def iteration_run(max_iters: int, interval: int, val_at: list, val_step=lambda it: 0) -> list:
    """An iteration-based run: train records every ``interval`` iterations, validations after iterations
    ``val_at``, logged at ``val_step(iteration)`` (mmengine's default: 0, ``runner.epoch``)."""
    records = []
    for it in range(1, max_iters + 1):
        if it % interval == 0:
            records.append(dict(lr=0.02, loss=1.0, time=1.0, data_time=0.1, iter=it, step=it))
        if it in val_at:
            records.append({'coco/bbox_mAP': it / 1000, 'step': val_step(it)})
    return records


def test_iterations_per_epoch_are_the_real_count_not_the_last_logged_step(tmp_path):
    """The demo's case: 24 iterations per epoch, logged every 5 (epoch 1 ends its log at step 20)."""
    run = load_run(str(write_run(tmp_path / 'mpm', epoch_run(20, 24, 5))))
    assert run.iters_per_epoch == 24
    xs, _ = run.curve('loss')
    assert xs[3] == pytest.approx(20 / 24) and xs[-1] == pytest.approx((19 * 24 + 20) / 24)  # ends before 20
    xs, ys = run.curve('accuracy/top1')
    np.testing.assert_array_equal(xs, np.arange(1, 21))
    np.testing.assert_array_equal(ys, np.arange(1, 21))


@pytest.mark.parametrize('iters, interval', [(24, 5), (7, 10), (10, 10), (3, 1)])
def test_iterations_per_epoch_whatever_the_logging_interval(iters, interval):
    """Epochs shorter than the interval log once, at their end (mmengine logs the last window then)."""
    records = [r for r in epoch_run(3, iters, interval) if 'lr' in r] if interval <= iters else [
        dict(lr=0.1, epoch=e, iter=e * iters, step=e * iters) for e in (1, 2, 3)]
    assert iters_per_epoch(records) == iters


def test_one_epoch_falls_back_to_its_last_logged_step():
    assert iters_per_epoch([r for r in epoch_run(1, 24, 5) if 'lr' in r]) == 20


def test_validation_of_an_iteration_based_run_sits_where_it_ran(tmp_path):
    """The demo's Mask R-CNN: 300 iterations, logged every 50, validated once at the end; mmengine writes the
    validation at step 0."""
    config = 'train_cfg = dict(type="IterBasedTrainLoop", max_iters=300, val_interval=300)\n'
    run = load_run(str(write_run(tmp_path / 'mask_rcnn', iteration_run(300, 50, [300]), config)))
    assert run.curve('coco/bbox_mAP')[0].tolist() == [300]
    xs, _ = run.curve('loss')
    assert xs.tolist() == [50, 100, 150, 200, 250, 300] and not run.by_epoch


def test_validations_between_logged_steps_follow_the_loops_schedule(tmp_path):
    """val_interval 100 with logging every 30: validations after the records at 90, 180 and 270 ran at 100,
    200 and 300; without the config beside the log, at the last logged step before them."""
    config = 'train_cfg = dict(type="IterBasedTrainLoop", max_iters=310, val_interval=100, val_begin=100)\n'
    records = iteration_run(310, 30, [100, 200, 300, 310])
    assert load_run(str(write_run(tmp_path / 'with', records, config))).curve('coco/bbox_mAP')[0].tolist() == [
        100, 200, 300, 310]
    assert load_run(str(write_run(tmp_path / 'without', records))).curve('coco/bbox_mAP')[0].tolist() == [
        90, 180, 300, 301]  # 300 is logged; 310 is not, after it: one past the previous point


def test_validation_logged_at_its_iteration_is_kept(tmp_path):
    """``LoggerHook(log_metric_by_epoch=False)`` writes the iteration itself."""
    records = iteration_run(300, 30, [100, 200], val_step=lambda it: it)
    assert load_run(str(write_run(tmp_path / 'run', records))).curve('coco/bbox_mAP')[0].tolist() == [100, 200]


def test_a_missing_directory_is_said_to_be_missing(tmp_path):
    with pytest.raises(FileNotFoundError, match='no_such_dir: no such file or directory'):
        load_run(str(tmp_path / 'no_such_dir'))
    (tmp_path / 'empty').mkdir()
    with pytest.raises(FileNotFoundError, match='empty: no mmengine json log'):
        load_run(str(tmp_path / 'empty'))
