"""Resumption bookkeeping: batch logs cut by a kill, run settings, stale temporary files."""
import os.path as osp
from types import SimpleNamespace

import pytest

from mmpart.datasets.part_id_table import PartIdTable
from mmpart.pseudo_label import PartPseudoLabeler
from mmpart.pseudo_label.image_list import list_unlabeled, read_annotated
from mmpart.pseudo_label.progress import BatchLog, check_run_settings


def test_batch_log_drops_a_line_cut_by_a_kill(tmp_path):
    path = tmp_path / 'rank0.jsonl'
    log = BatchLog(str(path))
    log.append(dict(batch=0, images=[]))
    log.append(dict(batch=1, images=[]))
    with open(path, 'a') as f:
        f.write('{"batch": 2, "ima')
    reopened = BatchLog(str(path))
    assert reopened.num_done == 2
    assert path.read_text() == '{"batch": 0, "images": []}\n{"batch": 1, "images": []}\n'
    with pytest.raises(ValueError, match='batch 5'):
        reopened.append(dict(batch=5, images=[]))


def test_run_settings_must_match(tmp_path):
    path = str(tmp_path / 'run.json')
    check_run_settings(path, dict(score_thr=0.5, batch_size=2))
    check_run_settings(path, dict(score_thr=0.5, batch_size=2))
    with pytest.raises(ValueError, match=r'run.json.*score_thr'):
        check_run_settings(path, dict(score_thr=0.3, batch_size=2))


def test_unlabeled_images_skip_annotated_and_unknown_classes(tmp_path):
    for rel in ('n1/n1_1.JPEG', 'n1/n1_2.JPEG', 'n1/notes.txt', 'n2/n2_1.jpg', 'n9/n9_1.JPEG'):
        (tmp_path / 'img' / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / 'img' / rel).write_bytes(b'')
    (tmp_path / 'conv' / 'whether_pseudo').mkdir(parents=True)
    (tmp_path / 'conv' / 'whether_pseudo' / 'n1.txt').write_text('n1/n1_1.JPEG 0\n')
    annotated = read_annotated(str(tmp_path / 'conv'))
    assert annotated == {'n1/n1_1'}
    images, skipped = list_unlabeled(str(tmp_path / 'img'), ['n1', 'n2'], annotated)
    assert images == ['n1/n1_2.JPEG', 'n2/n2_1.jpg']
    assert skipped == dict(annotated=1, unknown_class_folders=1)
    (tmp_path / 'list.txt').write_text('n2/n2_1.JPEG\n')
    assert read_annotated(str(tmp_path / 'list.txt')) == {'n2/n2_1'}
    (tmp_path / 'bad.txt').write_text('n2_1.JPEG\n')
    with pytest.raises(ValueError, match=r'bad.txt:1'):
        read_annotated(str(tmp_path / 'bad.txt'))


def test_restart_with_other_settings_is_refused(tmp_path):
    (tmp_path / 'img' / 'n1').mkdir(parents=True)
    (tmp_path / 'img' / 'n1' / 'n1_1.JPEG').write_bytes(b'')
    table = PartIdTable([('n1', 'thing', [(1, 'head')])])
    model = SimpleNamespace(dataset_meta=dict(classes=('n1:head', 'n1')))
    out = str(tmp_path / 'out')
    check_run_settings(osp.join(out, '.pseudo_label', 'run.json'), dict(format='earlier run', score_thr=0.9))
    labeler = PartPseudoLabeler(model, pipeline=None, table=table, score_thr=0.5)
    with pytest.raises(ValueError, match=r'run.json.*score_thr'):
        labeler.run(str(tmp_path / 'img'), out)
    with pytest.raises(ValueError, match="converter's output"):
        (tmp_path / 'conv').mkdir()
        (tmp_path / 'conv' / 'part_ids.json').write_text('{}')
        labeler.run(str(tmp_path / 'img'), str(tmp_path / 'conv'))
