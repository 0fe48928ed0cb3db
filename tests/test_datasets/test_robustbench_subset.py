"""The RobustBench 5,000-image IN-1K subset ships with the repository and its test-set config finds it."""
import hashlib
import os.path as osp
import re
from pathlib import Path

from mmengine.config import Config
from mmengine.registry import DefaultScope

from mmpart.datasets.robustness.imagenet_meta import IMAGENET_WNIDS
from mmpart.registry import DATASETS
from mmpart.utils import register_all_modules

CONFIG = Path(__file__).resolve().parents[2] / 'configs' / '_base_' / 'datasets' / 'imagenet_val_robustbench5k.py'
# robustbench 1.1.1 (PyPI wheel): robustbench/helper_files/imagenet_test_image_ids.txt
SHA256 = 'd4121626d07722a0126c35b1563042e46a546f1a05ce705f2cdc635896d58574'
NOT_COVERED = {'n02066245', 'n03482405', 'n07875152'}  # the 3 IN-1K classes without an image in the list


def test_the_list_is_robustbench_s_5000_images(tmp_path):
    cfg = Config.fromfile(str(CONFIG))
    ann_file = cfg.test_dataloader.dataset.ann_file
    assert osp.isabs(ann_file) and osp.isfile(ann_file)  # found next to the config, wherever it is run from
    data = Path(ann_file).read_bytes()
    assert hashlib.sha256(data).hexdigest() == SHA256
    lines = data.decode().splitlines()
    assert len(lines) == len(set(lines)) == 5000
    assert all(re.fullmatch(r'n\d{8}/ILSVRC2012_val_\d{8}\.JPEG', line) for line in lines)
    assert {line.split('/')[0] for line in lines} == set(IMAGENET_WNIDS) - NOT_COVERED

    register_all_modules()
    with DefaultScope.overwrite_default_scope('mmpart'):
        dataset = DATASETS.build({**cfg.test_dataloader.dataset, 'data_root': str(tmp_path), 'pipeline': []})
    assert len(dataset) == 5000
    first = dataset.get_data_info(0)
    assert first['img_path'] == str(tmp_path / lines[0]) and first['gt_label'] == IMAGENET_WNIDS.index('n09468604')
    assert len({dataset.get_data_info(i)['gt_label'] for i in range(len(dataset))}) == 997
