"""Adversarial training under 2-process DDP (gloo, CPU): the attack runs inside the wrapped model's forward and
one train step gives the weights of a single-process step on the same global batch; so do TRADES (two training
forwards) with AWP (a weight perturbation whose gradient is averaged over the processes), and free AT's replays (each
process steps the perturbation of its own samples)."""
from pathlib import Path

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from mmengine.model import MMDistributedDataParallel
from mmengine.optim import OptimWrapper
from mmpretrain.structures import DataSample

from mmpart.engine.hooks import AdversarialWeightPerturbationHook

from ..ports import free_port
from .hand_set_classifier import build_hand_set_model

GLOBAL_BATCH = 8
ATTACK = dict(type='PGD', eps=16, steps=2, step_size=8, random_start=False, keep='loss')
FREE_ATTACK = dict(type='FreePerturbation', eps=16, step_size=6)
REPLAYS = 3


def build_model(attack=ATTACK, variant='pgd-at'):
    """The hand-set classifier (no BN: per-process batch statistics cannot differ) as an AdvImageClassifier; the
    ``'trades-awp'`` variant trains with TRADES on a fixed shift (a random start would differ between one process
    and two) and AWP."""
    if variant == 'pgd-at':
        return build_hand_set_model(type='AdvImageClassifier', attack=attack).train()
    if variant == 'free':
        return build_hand_set_model(type='AdvImageClassifier', attack=FREE_ATTACK).train()
    model = build_hand_set_model(type='AdvImageClassifier', attack=attack, robust_loss=dict(type='TRADESLoss'))
    model.attack = lambda logits_fn, images, targets: (images + 8 / 255).clamp(0, 1)
    model.weight_perturbation = AdversarialWeightPerturbationHook(gamma=0.05)
    return model.train()


def global_batch() -> dict:
    generator = torch.Generator().manual_seed(0)
    images = [torch.randint(0, 256, (3, 4, 4), dtype=torch.uint8, generator=generator) for _ in range(GLOBAL_BATCH)]
    return dict(inputs=images, data_samples=[DataSample().set_gt_label(i % 2) for i in range(GLOBAL_BATCH)])


def one_step(model, data: dict, wrapper=None, steps: int = 1) -> dict:
    """One SGD step (lr 1, so the weight change is minus the gradient), or ``steps`` on the same batch (free AT's
    replays); returns the new weights."""
    optim_wrapper = OptimWrapper(torch.optim.SGD(model.parameters(), lr=1.0))
    for _ in range(steps):
        (wrapper or model).train_step(data, optim_wrapper)
    if model.weight_perturbation is not None:
        model.weight_perturbation.restore()  # what the hook does after the iteration
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def _ddp_worker(rank: int, port: int, out: str, variant: str = 'pgd-at') -> None:
    torch.set_num_threads(1)
    dist.init_process_group('gloo', init_method=f'tcp://127.0.0.1:{port}', rank=rank, world_size=2)
    try:
        model = build_model(variant=variant)
        calls, attack = [], model.attack
        wrapper = MMDistributedDataParallel(module=model, device_ids=None, broadcast_buffers=False)
        data = global_batch()
        shard = {k: v[rank::2] for k, v in data.items()}  # what DefaultSampler gives each rank
        if variant != 'free':
            model.attack = lambda *args: calls.append(1) or attack(*args)
        weights = one_step(model, shard, wrapper, REPLAYS if variant == 'free' else 1)
        delta = model.attack.delta if variant == 'free' else None
        torch.save(dict(weights=weights, attack_calls=len(calls), delta=delta), out.replace('rank0', f'rank{rank}'))
    finally:
        dist.destroy_process_group()


def test_two_process_step_matches_one_process_on_the_global_batch(tmp_path: Path):
    single = one_step(build_model(), global_batch())  # first: builds the registries the children inherit
    clean = one_step(build_model(attack=None), global_batch())

    out = str(tmp_path / 'rank0.pth')
    # fork: the children inherit the imported stack (spawn re-imports it: ~20 s per process on this machine)
    mp.start_processes(_ddp_worker, args=(free_port(), out), nprocs=2, join=True, start_method='fork')
    ddp = torch.load(out, weights_only=True)
    assert ddp['attack_calls'] == 1  # the attack ran inside the DDP-wrapped forward
    for key, value in single.items():
        torch.testing.assert_close(ddp['weights'][key], value, atol=1e-6, rtol=1e-5)
    before = build_model().state_dict()
    changed = [k for k in single if not torch.allclose(single[k], before[k])]
    assert changed and any(not torch.allclose(single[k], clean[k], atol=1e-4) for k in changed)


def test_trades_with_awp_two_processes_match_one(tmp_path: Path):
    single = one_step(build_model(variant='trades-awp'), global_batch())
    plain = build_model(variant='trades-awp')
    plain.weight_perturbation = None
    without_awp = one_step(plain, global_batch())
    out = str(tmp_path / 'rank0.pth')
    mp.start_processes(_ddp_worker, args=(free_port(), out, 'trades-awp'), nprocs=2, join=True, start_method='fork')
    ddp = torch.load(out, weights_only=True)
    assert ddp['attack_calls'] == 1
    for key, value in single.items():
        torch.testing.assert_close(ddp['weights'][key], value, atol=1e-6, rtol=1e-5)
    # the perturbation changes the step (an AWP whose processes perturbed differently would not match either way)
    assert any(not torch.allclose(single[k], without_awp[k], atol=1e-4) for k in single)


def test_free_at_two_processes_match_one(tmp_path: Path):
    model = build_model(variant='free')
    single = one_step(model, global_batch(), steps=REPLAYS)
    out = str(tmp_path / 'rank0.pth')
    mp.start_processes(_ddp_worker, args=(free_port(), out, 'free'), nprocs=2, join=True, start_method='fork')
    ranks = [torch.load(str(tmp_path / f'rank{r}.pth'), weights_only=True) for r in (0, 1)]
    for key, value in single.items():
        torch.testing.assert_close(ranks[0]['weights'][key], value, atol=1e-6, rtol=1e-5)
    # each process carries the perturbation of its own samples: together, the one process's
    assert model.attack.delta.abs().max() > 0
    for rank in (0, 1):
        torch.testing.assert_close(ranks[rank]['delta'], model.attack.delta[rank::2], atol=1e-7, rtol=0)
