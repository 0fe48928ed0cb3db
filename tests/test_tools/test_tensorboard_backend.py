"""TensorBoard logging: the documented visualizer override and the `_base_` runtime variant write event files."""
from pathlib import Path

from mmengine.config import Config
from mmengine.registry import VISUALIZERS
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from mmpart.utils import register_all_modules

REPO = Path(__file__).resolve().parents[2]


def scalar_tags(log_dir: Path) -> set:
    events = sorted(log_dir.rglob('events.out.tfevents.*'))
    assert events, f'no TensorBoard event file under {log_dir}'
    accumulator = EventAccumulator(str(events[0].parent))
    accumulator.Reload()
    return set(accumulator.Tags()['scalars'])


def test_a_short_run_writes_training_and_validation_scalars(mpm_run):
    tags = scalar_tags(mpm_run['work_dir'])
    assert {'loss_cls', 'loss_part_s0', 'acc_part', 'lr', 'accuracy/top1', 'accuracy/robust_top1'} <= tags
    # mmengine's own json log is still written next to it (analyze_logs.py reads it)
    assert list(mpm_run['work_dir'].glob('*/vis_data/2*.json'))


def test_runtime_variant_builds_a_visualizer_that_logs_to_tensorboard(tmp_path):
    register_all_modules()
    cfg = Config.fromfile(str(REPO / 'configs' / '_base_' / 'default_runtime_tensorboard.py'))
    assert [b['type'] for b in cfg.visualizer.vis_backends] == ['LocalVisBackend', 'TensorboardVisBackend']
    visualizer = VISUALIZERS.build(dict(cfg.visualizer, name='tensorboard_variant', save_dir=str(tmp_path)))
    visualizer.add_scalar('accuracy/top1', 50.0, step=1)
    visualizer.close()
    assert 'accuracy/top1' in scalar_tags(tmp_path)
