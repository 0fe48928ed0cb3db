"""The two-stage part model: shapes through both stages, the combined loss, gradients from the class loss into the
segmenter, and attacks that see the whole pipeline."""
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmengine.structures import PixelData
from mmpretrain.structures import DataSample

from mmpart.attacks import from_pixel_space, pixel_space_logits, to_pixel_space
from mmpart.models import TwoStagePartClassifier
from mmpart.registry import MODELS
from mmpart.utils import register_all_modules

from ..test_engine.tiny_classifier import one_thread

CONFIG = Path(__file__).parents[2] / 'configs' / 'two-stage' / 'two-stage_r18_synthetic.py'
NUM_PARTS = 22  # the synthetic set's 21 parts + background


def build(**overrides) -> TwoStagePartClassifier:
    register_all_modules()
    cfg = Config.fromfile(str(CONFIG))
    cfg.model.setdefault('data_preprocessor', cfg.data_preprocessor)
    cfg.model.update(overrides)
    torch.manual_seed(0)
    with DefaultScope.overwrite_default_scope('mmpart'):
        return MODELS.build(cfg.model)


def samples(n: int, size: int = 64) -> list:
    generator = torch.Generator().manual_seed(0)
    out = []
    for i in range(n):
        sample = DataSample().set_gt_label(i % 6)
        sample.gt_sem_seg = PixelData(data=torch.randint(0, NUM_PARTS, (1, size, size), generator=generator))
        out.append(sample)
    return out


def inputs(model, n: int = 2):
    return from_pixel_space(model, torch.rand(n, 3, 64, 64, generator=torch.Generator().manual_seed(1)))


@pytest.fixture(scope='module', autouse=True)
def _one_thread():
    with one_thread():
        yield


@pytest.fixture(scope='module')
def model():
    return build()


def test_shapes_through_both_stages(model):
    model.eval()
    x = inputs(model)
    classifier_inputs = []
    hook = model.part_classifier.register_forward_pre_hook(lambda m, args: classifier_inputs.append(args[0]))
    try:
        with torch.no_grad():
            logits = model(x)
            predictions = model(x, mode='predict')
            parts = model.predict_parts(x, [dict(img_shape=(64, 64))] * 2)
            pre_logits = model.extract_feat(x, stage='pre_logits')
    finally:
        hook.remove()
    assert tuple(logits.shape) == (2, 6) and tuple(pre_logits.shape) == (2, 256)
    maps = classifier_inputs[0]  # the classifier's input: part probabilities at the finest scale (64 px / 8)
    assert tuple(maps.shape) == (2, NUM_PARTS, 8, 8)
    torch.testing.assert_close(maps.sum(dim=1), torch.ones(2, 8, 8))
    torch.testing.assert_close(predictions[0].pred_score, logits[0].softmax(0))
    assert tuple(parts.shape) == (2, NUM_PARTS, 64, 64)
    resized = build(map_size=(4, 4)).eval()
    seen = []
    resized.part_classifier.register_forward_pre_hook(lambda m, args: seen.append(tuple(args[0].shape)))
    with torch.no_grad():
        resized(x)
    assert seen == [(2, NUM_PARTS, 4, 4)]


def test_combined_loss_and_the_class_loss_reaches_the_segmenter(model):
    model.train()
    attack, model.attack = model.attack, None  # the losses themselves, on clean inputs
    try:
        losses = model(inputs(model, 4), samples(4), mode='loss')
    finally:
        model.attack = attack
    assert {k for k in losses if k.startswith('loss')} == {'loss_cls', 'loss_part_s0', 'loss_part_s1', 'loss_part_s2'}
    segmenter = [model.backbone.conv1.weight, model.part_head.seg_layers[0][-1].weight]
    classifier = [model.part_classifier.conv1.weight, model.head.fc.weight]
    grads = torch.autograd.grad(losses['loss_cls'], segmenter + classifier, retain_graph=True)
    assert all(g.abs().sum() > 0 for g in grads)  # the class loss trains the segmenter through the part maps
    part_grads = torch.autograd.grad(losses['loss_part_s0'], classifier, allow_unused=True, retain_graph=True)
    assert all(g is None or g.abs().sum() == 0 for g in part_grads)  # the part loss does not reach the classifier
    model.zero_grad()
    sum(v for k, v in losses.items() if k.startswith('loss')).backward()
    assert all(p.grad is not None for p in model.parameters())  # DDP needs no find_unused_parameters


def test_the_attack_sees_the_whole_two_stage_model(model):
    model.train()
    segmenter_grads, classifier_passes = [], []

    def record_gradient(module, args, outputs) -> None:  # of the loss w.r.t. the segmenter's features
        if outputs[-1].requires_grad:
            outputs[-1].register_hook(lambda grad: segmenter_grads.append(float(grad.abs().sum())))

    hooks = [
        model.backbone.register_forward_hook(record_gradient),
        model.part_classifier.register_forward_pre_hook(lambda m, args: classifier_passes.append(m.training)),
    ]
    try:
        x, data_samples = inputs(model, 4), samples(4)
        adversarial = model.adversarial_inputs(x, data_samples)  # the training attack: PGD-2
    finally:
        for hook in hooks:
            hook.remove()
    # every attack pass runs the classifier on the segmenter's maps, and the input gradient comes back through it
    assert classifier_passes == [False] * (model.attack.steps + 1)
    assert len(segmenter_grads) == model.attack.steps and all(g > 0 for g in segmenter_grads)
    moved = (to_pixel_space(model, adversarial) - to_pixel_space(model, x)).abs().max()
    assert 0 < moved <= 4 / 255 + 1e-5  # an image perturbation within the attack's ball
    # and what attacks differentiate (pixel space, through the preprocessor) is the segmenter → classifier pipeline
    model.eval()
    pixels = torch.rand(2, 3, 64, 64, generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        by_hand = model.head(model.neck(model.part_classifier(model.segment(from_pixel_space(model, pixels))[0]
                                                              .softmax(dim=1))))
        torch.testing.assert_close(pixel_space_logits(model)(pixels), by_hand)


def test_trades_step_puts_the_part_loss_on_the_adversarial_batch():
    model = build(robust_loss=dict(type='TRADESLoss', beta=6.0)).train()
    losses = model(inputs(model, 2), samples(2), mode='loss')
    assert {k for k in losses if k.startswith('loss')} == {'loss_cls', 'loss_robust', 'loss_part_s0',
                                                            'loss_part_s1', 'loss_part_s2'}
    assert all(torch.isfinite(v) for v in losses.values())


def test_feature_stages_resizing_and_passed_options(model):
    model.eval()
    x = inputs(model)
    with torch.no_grad():
        part_logits = model.segment(x)
        finest = part_logits[0]
        assert model.finest(finest) is finest  # a single-scale head's logits are the map
        backbone = model.extract_feat(x, stage='backbone')
        torch.testing.assert_close(backbone, model.part_classifier(finest.softmax(dim=1)))
        torch.testing.assert_close(model.extract_feat(x, stage='neck'), model.neck(backbone))
    with pytest.raises(ValueError,
                       match=r'^Invalid output stage "head": choose from "backbone", "neck", "pre_logits"$'):
        model.extract_feat(x, stage='head')
    resized = build(map_size=(5, 3))
    torch.testing.assert_close(resized.part_maps(finest), torch.nn.functional.interpolate(
        finest.softmax(dim=1), size=(5, 3), mode='bilinear', align_corners=False))
    init_cfg = dict(type='Constant', val=0.5, layer='Linear')
    assert build(init_cfg=init_cfg).init_cfg == init_cfg
    assert build(pretrained='r18.pth').init_cfg == dict(type='Pretrained', checkpoint='r18.pth')
    assert build(train_cfg=dict(augments=dict(type='Mixup', alpha=1.0))).data_preprocessor.batch_augments is not None


@pytest.mark.parametrize('robust_loss', [None, dict(type='TRADESLoss', beta=6.0)])
def test_only_the_class_loss_is_renamed(robust_loss):
    head = dict(Config.fromfile(str(CONFIG)).model.head, cal_acc=True)  # the head also reports its accuracy
    model = build(head=head, robust_loss=robust_loss).train()
    model.attack = None if robust_loss is None else model.attack
    losses = model(inputs(model, 2), samples(2), mode='loss')
    assert {'loss_cls', 'accuracy_top-1'} <= set(losses) and 'loss' not in losses
