"""tools/pseudo_label.py on the synthetic unlabeled pool with a briefly trained detector."""
import json
import os
import os.path as osp
import signal
import subprocess
import sys

import numpy as np
import pytest
from mmengine.registry import DefaultScope

from mmpart.datasets.part_id_table import PartIdTable
from mmpart.datasets.part_mask_io import read_part_mask
from mmpart.pseudo_label.image_list import IMAGE_EXTENSIONS, image_key, read_annotated
from mmpart.registry import DATASETS
from mmpart.utils import register_all_modules

from ..ports import free_port
from .conftest import REPO, TINY_DET, det_cfg_options, run_tool

TOOL = osp.join(REPO, 'tools', 'pseudo_label.py')


def tool_cmd(pinpp: dict, checkpoint: str, out: str) -> list:
    # the barely trained detector scores ~1/num_classes: keep every detection (the threshold is unit-tested)
    return [sys.executable, TOOL, TINY_DET, checkpoint, '--img-root', pinpp['img_root'], '--annotated',
            pinpp['converted'], '--out', out, '--score-thr', '0.0', '--batch-size', '2', '--num-workers', '1',
            '--cfg-options', *det_cfg_options(pinpp)]


def read_tree(root: str) -> dict:
    files = {}
    for folder, _, names in os.walk(root):
        for name in names:
            path = osp.join(folder, name)
            with open(path, 'rb') as f:
                files[osp.relpath(path, root)] = f.read()
    return files


@pytest.fixture(scope='module')
def labelled(pinpp, tiny_detector, tmp_path_factory) -> str:
    """An uninterrupted run (in this process)."""
    out = str(tmp_path_factory.mktemp('pseudo') / 'out')
    run_tool('pseudo_label.py', *tool_cmd(pinpp, tiny_detector, out)[2:])
    return out


def unannotated_images(pinpp: dict) -> list:
    annotated = read_annotated(pinpp['converted'])
    root = pinpp['img_root']
    return sorted(f'{w}/{n}' for w in os.listdir(root) for n in os.listdir(osp.join(root, w))
                  if n.lower().endswith(IMAGE_EXTENSIONS) and image_key(f'{w}/{n}') not in annotated)


def test_masks_hold_only_the_own_class_parts_of_unannotated_images(labelled, pinpp):
    table = PartIdTable.load(osp.join(pinpp['converted'], 'part_ids.json'))
    images = unannotated_images(pinpp)
    with open(osp.join(labelled, 'summary.json')) as f:
        summary = json.load(f)
    masks = {f'{w}/{n}': osp.join(labelled, 'seg', w, n) for w in os.listdir(osp.join(labelled, 'seg'))
             for n in os.listdir(osp.join(labelled, 'seg', w))}
    assert masks and all(not name.startswith('.') for name in masks)
    by_key = {image_key(i): i for i in images}
    assert {image_key(k) for k in masks} <= set(by_key)  # annotated images were skipped
    for rel, path in masks.items():
        mask = read_part_mask(path)
        ids = set(np.unique(mask).tolist()) - {0}
        assert ids and ids <= set(table.part_ids_of(rel.split('/')[0])), rel
    # detections of other classes' parts (and objects) were there, and were dropped
    assert summary['dropped_detections'] > 0
    assert summary['images'] == len(images) and summary['images_with_parts'] == len(masks)
    assert summary['skipped']['annotated'] == len(read_annotated(pinpp['converted']))
    assert sum(c['images'] for c in summary['per_class'].values()) == len(images)
    listed = []
    for wnid in summary['per_class']:
        with open(osp.join(labelled, 'whether_pseudo', f'{wnid}.txt')) as f:
            lines = f.read().splitlines()
        assert all(line.endswith(' 1') for line in lines)
        listed += [image_key(line.split()[0]) for line in lines]
        assert summary['per_class'][wnid]['images_with_parts'] == len(lines)
    assert sorted(listed) == sorted(image_key(k) for k in masks)


def test_output_loads_in_pinpp_dataset(labelled, pinpp):
    register_all_modules()
    pipeline = [dict(type='LoadImageFromFile'), dict(type='LoadPartMask'), dict(type='PackPartInputs')]
    with DefaultScope.overwrite_default_scope('mmpart'):
        dataset = DATASETS.build(dict(
            type='PINPPDataset', data_root='', pipeline=pipeline,
            part_id_file=osp.join(pinpp['converted'], 'part_ids.json'),
            data_prefix=dict(img_path=pinpp['img_root'], seg_map_path=osp.join(labelled, 'seg'),
                             pseudo_path=osp.join(labelled, 'whether_pseudo'))))
        pseudo = [i for i in range(len(dataset)) if dataset.get_data_info(i)['is_pseudo']]
        assert pseudo and all(dataset.get_data_info(i)['seg_map_path'] for i in pseudo)
        sample = dataset[pseudo[0]]['data_samples']
    assert sample.has_part_mask and sample.is_pseudo and int(sample.gt_sem_seg.data.max()) > 0


def test_killed_and_restarted_run_ends_identical(labelled, pinpp, tiny_detector, tmp_path):
    """Killed right after the first mask of batch 1 is written (batch 0 logged, batch 1 not), then restarted."""
    out = str(tmp_path / 'out')
    log = osp.join(out, '.pseudo_label', 'rank0.jsonl')
    has_mask = [osp.isfile(osp.join(labelled, 'seg', osp.splitext(i)[0] + '.png')) for i in unannotated_images(pinpp)]
    assert any(has_mask[2:4]), 'batch 1 of the uninterrupted run must have a mask'
    kill_at = sum(has_mask[:2]) + 1  # the first mask of batch 1 (batches of 2 images)
    cmd = tool_cmd(pinpp, tiny_detector, out)
    proc = subprocess.run([cmd[0], osp.join(osp.dirname(__file__), 'kill_after_mask.py'), str(kill_at), *cmd[1:]],
                          cwd=REPO, capture_output=True)
    assert proc.returncode == -signal.SIGKILL, proc.stderr[-2000:]
    with open(log) as f:
        assert [json.loads(line)['batch'] for line in f] == [0]
    written = sorted(read_tree(osp.join(out, 'seg')))
    assert len(written) == kill_at and not osp.exists(osp.join(out, 'summary.json'))
    # what a kill can also leave: a temporary mask, a temporary summary, a half-written log line
    wnid = sorted(os.listdir(pinpp['img_root']))[-1]
    os.makedirs(osp.join(out, 'seg', wnid), exist_ok=True)
    open(osp.join(out, 'seg', wnid, f'.{wnid}_100003.png.abcd1234.tmp'), 'wb').close()
    open(osp.join(out, '.summary.json.zz99yy88.tmp'), 'wb').close()
    with open(log, 'a') as f:
        f.write('{"batch": 1, "images": [{"ima')

    subprocess.run(cmd, check=True, cwd=REPO, capture_output=True)
    resumed, uninterrupted = read_tree(out), read_tree(labelled)
    assert sorted(resumed) == sorted(uninterrupted)
    assert all(resumed[k] == uninterrupted[k] for k in uninterrupted)


def test_sharded_run_covers_every_image_once(labelled, pinpp, tiny_detector, tmp_path):
    out = str(tmp_path / 'out')
    cmd = ['bash', osp.join(REPO, 'tools', 'dist_pseudo_label.sh'), TINY_DET, tiny_detector, '2',
           *tool_cmd(pinpp, tiny_detector, out)[4:]]
    subprocess.run(cmd, check=True, cwd=REPO, capture_output=True,
                   env=dict(os.environ, PYTHON=sys.executable, PORT=str(free_port())))
    logs = [osp.join(out, '.pseudo_label', f'rank{r}.jsonl') for r in range(2)]
    shards = [[i['image'] for line in open(p) for i in json.loads(line)['images']] for p in logs]
    assert shards[0] and shards[1] and sorted(shards[0] + shards[1]) == unannotated_images(pinpp)
    sharded, single = read_tree(out), read_tree(labelled)
    for key in single:
        if key.startswith(('seg', 'whether_pseudo')):
            assert sharded[key] == single[key], key
    assert sorted(k for k in sharded if k.startswith('seg')) == sorted(k for k in single if k.startswith('seg'))
