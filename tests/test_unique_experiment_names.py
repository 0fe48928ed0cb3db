"""The suite's autouse fixture keeps in-process runs of the same second apart."""
import time

from mmengine.model import BaseModel
from mmengine.runner import Runner


class _Model(BaseModel):

    def forward(self, inputs=None, data_samples=None, mode='tensor'):
        return inputs


def test_two_runners_of_the_same_second_get_their_own_logger_and_visualizer(tmp_path, monkeypatch):
    now = time.time()
    monkeypatch.setattr('mmengine.runner.runner.time.time', lambda: now)  # both runs in the same second
    first = Runner(model=_Model(), work_dir=str(tmp_path / 'first'))
    second = Runner(model=_Model(), work_dir=str(tmp_path / 'second'))
    assert first.timestamp == second.timestamp
    assert first.logger is not second.logger
    assert first.visualizer is not second.visualizer
    assert str(tmp_path / 'second') in second.logger.log_file


def test_a_named_experiment_keeps_its_name(tmp_path):
    runner = Runner(model=_Model(), work_dir=str(tmp_path), experiment_name='mine')
    assert runner.experiment_name == f'mine_{runner.timestamp}'
