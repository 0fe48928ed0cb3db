"""demo/image_demo.py and the MPM side of mmpart.apis on a short MPM run: top-5 with object names, the bypass's
parts, an adversarial example; readable pictures."""
import ast
import re
import runpy
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from mmpart.apis import inference_model, inference_parts, init_model
from mmpart.datasets.part_id_table import PartIdTable
from mmpart.visualization import MIN_SIDE

DEMO = str(Path(__file__).resolve().parents[2] / 'demo' / 'image_demo.py')


@pytest.fixture(scope='module')
def mpm(mpm_run):
    data = mpm_run['data']
    options = {'train_dataloader.dataset.data_root': f'{data}/'}  # where part_ids.json names the classes
    table = PartIdTable.load(str(data / 'converted' / 'part_ids.json'))
    image = str(sorted((data / 'imagenet' / 'val').glob('*/*.JPEG'))[0])
    return init_model(mpm_run['config'], mpm_run['checkpoint'], cfg_options=options), table, image, options


def test_parts_come_from_the_bypass_with_the_checkpoints_part_names(mpm):
    model, table, image, _ = mpm
    parts = inference_parts(model, image)
    assert parts.image.shape == (64, 64, 3) and parts.part_map.shape == (64, 64)
    assert tuple(parts.part_names) == table.class_names()
    assert 0 <= parts.part_map.min() and parts.part_map.max() <= table.num_parts


def test_top5_is_the_models_prediction_with_object_names(mpm):
    model, table, image, _ = mpm
    prediction = inference_model(model, image)
    assert len(prediction.labels) == 5 and prediction.scores == sorted(prediction.scores, reverse=True)
    assert prediction.names == [f'{table.object_names[w]} ({w})' for w in (table.wnids[i] for i in prediction.labels)]


def test_demo_prints_top5_and_draws_parts_and_the_attack(mpm, mpm_run, tmp_path, monkeypatch, capsys):
    model, table, image, options = mpm
    monkeypatch.setattr(sys, 'argv', [DEMO, image, mpm_run['config'], mpm_run['checkpoint'], '--parts', '--attack',
                                      'pgd', '--eps', '4', '--steps', '2', '--out-dir', str(tmp_path),
                                      '--cfg-options', *(f'{k}={v}' for k, v in options.items())])
    runpy.run_path(DEMO, run_name='__main__')
    out = capsys.readouterr().out
    ranked = re.findall(r'^\s+(\d)\. (.+)  ([\d.]+)%$', out, re.M)
    assert [int(r[0]) for r in ranked] == [1, 2, 3, 4, 5] * 2  # clean, then under attack
    assert ranked[0][1] == inference_model(model, image).names[0]
    assert f'\n{image}: top-5\n' in out
    drawn = ast.literal_eval(re.search(r'^parts: (.*)$', out, re.M).group(1))
    objects = set(table.object_names.values())
    assert drawn and all(name.split(': ')[0] in objects for name in drawn)  # '<object>: <part>', as elsewhere
    stem = Path(image).stem
    parts = np.asarray(Image.open(tmp_path / f'{stem}_parts.png'))
    attack = np.asarray(Image.open(tmp_path / f'{stem}_pgd.png'))
    factor = MIN_SIDE // 64 + (MIN_SIDE % 64 > 0)
    # image | parts | legend, upscaled from 64 px; clean | adversarial | perturbation
    assert parts.shape[0] > 64 * factor and parts.shape[1] > 2 * 64 * factor
    assert attack.shape[1] >= 3 * 64 * factor
