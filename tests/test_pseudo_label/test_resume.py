"""A run interrupted between a mask write and the batch log, redone by a detector that finds fewer parts."""
import os
import os.path as osp

import pytest
import torch
from mmdet.structures import DetDataSample
from mmengine.structures import InstanceData

from mmpart.datasets.part_id_table import PartIdTable
from mmpart.datasets.part_mask_io import read_part_mask
from mmpart.pseudo_label import PartPseudoLabeler
from mmpart.pseudo_label.progress import BatchLog

SHAPE = (4, 5)


class StubDetector:
    """Finds part ``n1:head`` over the whole image in the images named in ``with_parts``, nothing elsewhere."""

    dataset_meta = dict(classes=('n1:head', 'n1'))

    def __init__(self, with_parts) -> None:
        self.with_parts = set(with_parts)

    def test_step(self, data: dict) -> list:
        results = []
        for path in data['img_path']:
            n = int(osp.basename(path).split('.')[0] in self.with_parts)
            result = DetDataSample(metainfo=dict(ori_shape=SHAPE))
            result.pred_instances = InstanceData(labels=torch.zeros(n, dtype=torch.long), scores=torch.full((n, ), 0.9),
                                                 masks=torch.ones(n, *SHAPE, dtype=torch.bool))
            results.append(result)
        return results


class Killed(Exception):
    """Stands for the process being killed."""


def labeler(with_parts) -> PartPseudoLabeler:
    table = PartIdTable([('n1', 'thing', [(1, 'head')])])
    return PartPseudoLabeler(StubDetector(with_parts), pipeline=lambda r: dict(img_path=r['img_path']), table=table,
                             score_thr=0.5, batch_size=2, num_workers=0)


def outputs(out: str) -> tuple:
    masks = sorted(os.listdir(osp.join(out, 'seg', 'n1')))
    with open(osp.join(out, 'whether_pseudo', 'n1.txt')) as f:
        listed = sorted(f.read().splitlines())
    return masks, listed


def test_redo_that_finds_no_parts_removes_the_earlier_mask(tmp_path, monkeypatch):
    img_root, out = tmp_path / 'img', str(tmp_path / 'out')
    (img_root / 'n1').mkdir(parents=True)
    for name in 'abcd':
        (img_root / 'n1' / f'{name}.JPEG').write_bytes(b'')

    # the first run writes the masks of both batches, and is killed before logging the second
    append = BatchLog.append

    def append_one_batch_only(log, record):
        if record['batch'] == 1:
            raise Killed
        append(log, record)

    monkeypatch.setattr(BatchLog, 'append', append_one_batch_only)
    with pytest.raises(Killed):
        labeler('abcd').run(str(img_root), out, progress=False)
    assert sorted(os.listdir(osp.join(out, 'seg', 'n1'))) == ['a.png', 'b.png', 'c.png', 'd.png']
    monkeypatch.setattr(BatchLog, 'append', append)

    # the redo of batch [c, d] finds parts in d only: c's mask of the killed run must go
    labeler('abd').run(str(img_root), out, progress=False)
    assert outputs(out) == (['a.png', 'b.png', 'd.png'], ['n1/a.JPEG 1', 'n1/b.JPEG 1', 'n1/d.JPEG 1'])
    assert (read_part_mask(osp.join(out, 'seg', 'n1', 'd.png')) == 1).all()
