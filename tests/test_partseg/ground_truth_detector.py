"""A "detector" that predicts each image's ground truth, to run a detection config's test dataloader and evaluator
with a known outcome: COCO mAP 1 for the ground truth, 0 with every label moved to another class."""
import torch
from mmengine.model import BaseModel
from mmengine.runner import Runner
from mmengine.structures import InstanceData

from mmpart.registry import MODELS


@MODELS.register_module(force=True)
class GroundTruthDetector(BaseModel):
    """Predicts the ``gt_instances`` that the test pipeline loads (at the original image size), score 1.

    Args:
        num_classes: number of detection classes.
        label_shift: added to every label (mod ``num_classes``): 0 predicts the ground truth exactly.
        data_preprocessor: the detector config's data preprocessor.
    """

    def __init__(self, num_classes: int, label_shift: int = 0, data_preprocessor: dict = None) -> None:
        super().__init__(data_preprocessor=data_preprocessor)
        self.num_classes, self.label_shift = num_classes, label_shift

    def forward(self, inputs, data_samples=None, mode: str = 'tensor'):
        for sample in data_samples:
            gt = sample.gt_instances
            bboxes = gt.bboxes.tensor if hasattr(gt.bboxes, 'tensor') else gt.bboxes
            pred = InstanceData(bboxes=bboxes, scores=torch.ones(len(gt)),
                                labels=(gt.labels + self.label_shift) % self.num_classes)
            if 'masks' in gt:
                pred.masks = torch.from_numpy(gt.masks.to_ndarray()).bool()
            sample.pred_instances = pred
        return data_samples


def evaluate_ground_truth(cfg, work_dir: str, label_shift: int = 0) -> dict:
    """``tools/test.py``'s run of ``cfg`` (test dataloader, evaluator) with :class:`GroundTruthDetector`."""
    cfg = cfg.copy()
    preprocessor = dict(cfg.model.data_preprocessor, _scope_='mmdet')
    cfg.model = dict(type='GroundTruthDetector', _scope_='mmpart', num_classes=cfg.model.roi_head.bbox_head.num_classes,
                     label_shift=label_shift, data_preprocessor=preprocessor)
    cfg.work_dir, cfg.load_from = work_dir, None
    return Runner.from_cfg(cfg).test()
