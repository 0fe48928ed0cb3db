"""Model options that reproduce the PIN++ reference code's training, on hand-computable cases: the part mask sampled
down with torch's 'nearest' (model/utils.py, data/timm_local/mixup.py), and the BatchNorm layers of a frozen
backbone left in train mode (adv_train.py, stage 1: requires_grad=False on a train-mode model)."""
import pytest
import torch
import torch.nn.functional as F
from mmengine.structures import PixelData
from mmpretrain.structures import DataSample

from mmpart.models.utils import resize_part_labels
from mmpart.registry import MODELS
from mmpart.utils import register_all_modules


def test_nearest_takes_the_top_left_pixel_of_each_cell_nearest_exact_its_centre():
    rows = torch.arange(224).view(1, 224, 1).expand(1, 224, 224)  # each pixel holds its row index
    assert resize_part_labels(rows, (28, 28), 'nearest')[0, :, 0].tolist() == [8 * i for i in range(28)]
    assert resize_part_labels(rows, (28, 28))[0, :, 0].tolist() == [8 * i + 4 for i in range(28)]
    # the reference's own call on the float mask (downsample_seglabel, mixup_seg)
    reference = F.interpolate(rows[:, None].float(), size=[28, 28], mode='nearest')[:, 0].long()
    assert torch.equal(resize_part_labels(rows, (28, 28), 'nearest'), reference)
    with pytest.raises(ValueError, match="mask resize mode must be one of \\('nearest-exact', 'nearest'\\)"):
        resize_part_labels(rows, (28, 28), 'bilinear')


@pytest.mark.parametrize('mask_resize,accuracy', [('nearest', 100.0), ('nearest-exact', 0.0)])
def test_part_head_targets_follow_mask_resize(mask_resize, accuracy):
    # a 4x4 mask to a 2x2 map: 'nearest' reads pixels (0, 0), (0, 2), (2, 0), (2, 2), all part 1; 'nearest-exact'
    # reads (1, 1), (1, 3), (3, 1), (3, 3), all part 2. Logits that say part 1 everywhere are right with one only.
    register_all_modules()
    head = MODELS.build(dict(type='MPMPartHead', in_channels=[4, 8], channels=8, num_classes=3,
                             mask_resize=mask_resize))
    mask = torch.full((4, 4), 2)
    mask[::2, ::2] = 1
    sample = DataSample().set_gt_label(0)
    sample.gt_sem_seg = PixelData(data=mask[None])
    logits = [torch.tensor([0.0, 5.0, 0.0]).view(1, 3, 1, 1).expand(1, 3, 2, 2), torch.zeros(1, 3, 1, 1)]
    assert head.loss_by_feat(logits, [sample])['acc_part'].item() == accuracy
    with pytest.raises(ValueError, match='mask_resize must be one of'):
        MODELS.build(dict(type='MPMPartHead', in_channels=[4, 8], channels=8, num_classes=3, mask_resize='area'))


def frozen_resnet(**kwargs):
    register_all_modules()
    torch.manual_seed(0)
    return MODELS.build(dict(type='ResNetAct', depth=18, frozen_stages=4, act_cfg=dict(type='GELU'), **kwargs))


def test_frozen_stages_keep_batch_norm_training_as_the_reference():
    model = frozen_resnet(frozen_norm_eval=False)
    model.train()  # mmpretrain's ResNet.train returns None
    assert all(not p.requires_grad for p in model.parameters())  # the weights are frozen either way
    norms = [m for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    assert norms and all(m.training for m in norms)
    x = torch.rand(4, 3, 32, 32)
    with torch.no_grad():
        stem = model.conv1(x)
        model(x)
    # one train-mode forward: running mean = 0.9 * 0 + 0.1 * the batch mean (the stem's norm, by hand), as
    # timm's ResNet with requires_grad=False under model.train() does
    torch.testing.assert_close(model.norm1.running_mean, 0.1 * stem.mean(dim=(0, 2, 3)))
    assert model.norm1.num_batches_tracked == 1 and model.layer4[1].bn2.num_batches_tracked == 1
    model.eval()
    assert not any(m.training for m in norms)


def test_frozen_stages_default_is_mmpretrains_eval_mode():
    model = frozen_resnet()
    model.train()
    assert not any(m.training for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d))
    with torch.no_grad():
        model(torch.rand(4, 3, 32, 32))
    assert model.norm1.num_batches_tracked == 0 and torch.equal(model.norm1.running_mean, torch.zeros(64))
    partly = MODELS.build(dict(type='ResNetAct', depth=18, frozen_stages=1, frozen_norm_eval=False))
    partly.train()
    assert partly.norm1.training and partly.layer1.training and not partly.layer1[0].conv1.weight.requires_grad
    assert partly.layer2[0].conv1.weight.requires_grad
