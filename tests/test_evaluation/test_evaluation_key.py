"""The key robust evaluations are cached and resumed on: the config's result-relevant part and the checkpoint's
content."""
import torch
from mmengine.config import Config

from mmpart.evaluation.evaluation_key import evaluation_key


def test_key_ignores_where_and_how_much_a_run_logs_not_what_it_computes(tmp_path):
    checkpoint = tmp_path / 'a.pth'
    torch.save({'w': torch.zeros(2)}, checkpoint)
    cfg = Config(dict(model=dict(type='M', depth=18), test_cfg=dict(attack=dict(eps=4)), work_dir='a',
                      log_level='INFO'))
    key = evaluation_key(cfg, str(checkpoint))
    same = Config(dict(cfg.to_dict(), work_dir='b', experiment_name='x', log_level='WARNING', launcher='pytorch',
                       load_from='elsewhere.pth', log_processor=dict(window_size=5)))
    assert evaluation_key(same, str(checkpoint)) == key
    for changed in (dict(model=dict(type='M', depth=34)), dict(test_cfg=dict(attack=dict(eps=8)))):
        assert evaluation_key(Config({**cfg.to_dict(), **changed}), str(checkpoint))['config_sha256'] != \
            key['config_sha256']
    torch.save({'w': torch.ones(2)}, checkpoint)  # new content, same path
    assert evaluation_key(cfg, str(checkpoint))['checkpoint_sha256'] != key['checkpoint_sha256']
    assert evaluation_key(cfg, None)['checkpoint_sha256'] is None
