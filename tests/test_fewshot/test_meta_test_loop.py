"""Meta-test loop: cached features equal recomputed ones; tools/test.py on one process equals dist_test.sh on two;
episodic training through tools/dist_train.sh; compare_checkpoints."""
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import default_collate
from mmpretrain.models import ImageClassifier
from torch.utils.data import DataLoader

from mmpart.datasets.samplers import EpisodicSampler
from mmpart.engine.loops.meta_test_loop import (
    MetaTestLoop,
    episode_accuracy,
    extract_features,
    gather_features,
)
from mmpart.models.heads import CosineProtoHead
from mmpart.registry import DATASETS, MODELS
from mmpart.utils import register_all_modules

REPO = Path(__file__).parents[2]
CONFIG = 'configs/fewshot/meta-baseline_resnet12-tiny_1xb32-8e_synthetic-pretrain.py'
PROTONET = 'tests/test_fewshot/configs/protonet_conv4_tiny_synthetic.py'


def free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def data_options(root: Path) -> list:
    return [f'{split}_dataloader.dataset.data_root={root}/' for split in ('train', 'val', 'test')]


def small_test_settings(root: Path) -> dict:
    """8 images per class: 1- and 5-shot episodes with 3 queries, batch size 1 (features independent of batching)."""
    return {**{f'{split}_dataloader.dataset.data_root': f'{root}/' for split in ('train', 'val', 'test')},
            'test_dataloader.num_workers': 0, 'test_dataloader.persistent_workers': False,
            'test_dataloader.batch_size': 1, 'test_cfg.num_queries': 3, 'test_cfg.num_episodes': 30}


def small_test_options(root: Path) -> list:
    return [f'{key}={value}' for key, value in small_test_settings(root).items()]


def run(*args: str, nproc: bool = False) -> str:
    env = dict(os.environ, OMP_NUM_THREADS='1', PYTHON=sys.executable, PORT=str(free_port()),
               PYTHONPATH=os.pathsep.join([str(REPO), os.environ.get('PYTHONPATH', '')]))
    cmd = ['bash', *args] if nproc else [sys.executable, *args]
    proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc.stdout + proc.stderr


@pytest.fixture(scope='module')
def tiny(synthetic_ood, tmp_path_factory):
    """The synthetic Meta-Baseline classifier with random weights, its config and a checkpoint of it."""
    register_all_modules()
    cfg = Config.fromfile(str(REPO / CONFIG))
    cfg.merge_from_dict(small_test_settings(synthetic_ood['root']))
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    model.eval()
    ckpt = tmp_path_factory.mktemp('meta_test') / 'random.pth'
    torch.save(dict(state_dict=model.state_dict(), meta=dict()), ckpt)
    return cfg, model, ckpt


def test_cached_features_equal_recomputed_ones(tiny):
    cfg, model, _ = tiny
    dataset = DATASETS.build(cfg.test_dataloader.dataset)
    head = CosineProtoHead()
    loader = DataLoader(dataset, batch_size=7, shuffle=False, collate_fn=default_collate)
    parts = [extract_features(model, batch, head) for batch in loader]
    # the loop gathers batches from any process in any order: hand them over reversed
    features, labels = gather_features(parts[::-1], len(dataset))
    assert torch.equal(labels, torch.as_tensor(dataset.get_gt_labels()))
    sampler = EpisodicSampler(labels=labels.numpy(), num_ways=5, num_shots=2, num_queries=3, num_episodes=3, seed=0)
    for index in range(3):
        support, query = sampler.episode(index)
        images = [dataset[int(i)] for i in list(support.ravel()) + list(query.ravel())]
        with torch.no_grad():
            data = model.data_preprocessor(default_collate(images), False)
            recomputed = head.pre_logits(model.extract_feat(data['inputs']))
        cached = features[torch.cat([torch.from_numpy(support.ravel()), torch.from_numpy(query.ravel())])]
        assert torch.allclose(cached, recomputed, atol=1e-5)
        ways = torch.arange(5)
        logits = head.episode_logits(recomputed[:10], ways.repeat_interleave(2), recomputed[10:], 5)
        expected = float((logits.argmax(1) == ways.repeat_interleave(3)).double().mean()) * 100
        assert episode_accuracy(head, features, sampler, index) == pytest.approx(expected)


def test_gather_features_refuses_a_partial_pass():
    with pytest.raises(RuntimeError, match='saw 2 of 3 images'):
        gather_features([([0, 2], torch.zeros(2, 4), torch.zeros(2, dtype=torch.long))], 3)


def fewshot_json(work_dir: Path) -> dict:
    found = sorted(work_dir.glob('*/fewshot.json'))
    assert len(found) == 1, found
    return json.loads(found[0].read_text())


@pytest.fixture(scope='module')
def single_process(tiny, synthetic_ood, tmp_path_factory):
    work_dir = tmp_path_factory.mktemp('single')
    out = run('tools/test.py', CONFIG, str(tiny[2]), '--work-dir', str(work_dir), '--cfg-options',
              *small_test_options(synthetic_ood['root']))
    return out, fewshot_json(work_dir)


def test_tools_test_reports_both_settings_with_confidence_intervals(single_process):
    out, summary = single_process
    metrics = summary['metrics']
    assert summary['head'] == 'CosineProtoHead' and summary['num_episodes'] == 30 and summary['num_shots'] == [1, 5]
    for setting in ('5way-1shot', '5way-5shot'):
        assert metrics[f'fewshot/{setting}_episodes'] == 30
        assert 0 <= metrics[f'fewshot/{setting}_accuracy'] <= 100 and metrics[f'fewshot/{setting}_ci95'] > 0
        assert f'| {setting} | {metrics[f"fewshot/{setting}_accuracy"]:.2f} ± ' in out


def test_dist_test_two_processes_match_one(tiny, synthetic_ood, single_process, tmp_path):
    run('tools/dist_test.sh', CONFIG, str(tiny[2]), '2', '--work-dir', str(tmp_path), '--cfg-options',
        *small_test_options(synthetic_ood['root']), nproc=True)
    assert fewshot_json(tmp_path) == single_process[1]


def test_the_loop_uses_its_head_else_the_models_few_shot_head(tiny):
    """Meta-Baseline's stage 1 is a linear classifier: the loop needs a head; an episodic model brings its own."""
    loop = MetaTestLoop.__new__(MetaTestLoop)
    loop._setup(5, (1, 5), 15, 10, 0, head=None)
    with pytest.raises(ValueError, match="the model's head \\(LinearClsHead\\) is not a few-shot head"):
        loop._head(tiny[1])
    episodic = ImageClassifier(backbone=dict(type='Conv4', channels=(4, 4, 4, 4)), head=dict(type='ProtoNetHead'))
    assert loop._head(episodic) is episodic.head
    loop._setup(5, (1, 5), 15, 10, 0, head=dict(type='CosineProtoHead', temperature=3.0))
    assert isinstance(loop._head(episodic), CosineProtoHead) and loop._head(episodic).temperature == 3


def test_episodic_protonet_training_on_two_processes(synthetic_ood, tmp_path):
    """tools/dist_train.sh: each process trains on its share of every epoch's episodes, then meta-validates."""
    out = run('tools/dist_train.sh', PROTONET, '2', '--work-dir', str(tmp_path), '--cfg-options',
              *data_options(synthetic_ood['root']), nproc=True)
    assert 'loss: ' in out and 'accuracy: ' in out
    assert 'fewshot/5way-1shot_accuracy' in out and 'fewshot/5way-2shot_accuracy' in out
    assert (tmp_path / 'epoch_2.pth').is_file()
    assert 'Epoch(train) [2][2/2]' in out  # 4 episodes per epoch: 2 on each process


def test_compare_checkpoints_tabulates_and_collects(tiny, synthetic_ood, tmp_path, monkeypatch):
    from mmpart.evaluation import comparison
    options = {**small_test_settings(synthetic_ood['root']), 'test_cfg.num_episodes': 5,
               'test_dataloader.batch_size': 8}
    keys = ['fewshot/5way-1shot_accuracy', 'fewshot/5way-1shot_ci95']
    models = [('a', str(REPO / CONFIG), str(tiny[2])), ('b', str(REPO / CONFIG), str(tiny[2]))]
    results = comparison.compare_checkpoints(models, str(tmp_path), keys=keys, cfg_options=options)
    assert results['a'] == results['b'] and results['a']['fewshot/5way-1shot_episodes'] == 5
    saved = json.loads((tmp_path / 'comparison.json').read_text())
    assert saved['keys'] == keys and saved['results'] == results
    assert (tmp_path / 'comparison.md').read_text().count('| a | ') == 1

    def no_test(*args, **kwargs):
        raise AssertionError('a rerun must collect the saved metrics')

    monkeypatch.setattr(comparison, 'run_evaluation', no_test)
    assert comparison.compare_checkpoints(models, str(tmp_path), keys=keys) == results
    with pytest.raises(KeyError, match="a has no metric 'coco/bbox_mAP'"):
        comparison.compare_checkpoints(models, str(tmp_path), keys=['coco/bbox_mAP'])
