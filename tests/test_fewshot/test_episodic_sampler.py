"""EpisodicSampler: episodes are fixed by (seed, epoch, index), whatever the process count; ways and images disjoint."""
import numpy as np
import pytest

from mmpart.datasets.samplers import EpisodicSampler

LABELS = np.repeat(np.arange(7), 6)  # 7 classes of 6 images, class c at indices 6c..6c+5
np.random.default_rng(0).shuffle(LABELS)


def make(**kwargs) -> EpisodicSampler:
    args = dict(labels=LABELS, num_ways=3, num_shots=2, num_queries=3, num_episodes=5, seed=3)
    return EpisodicSampler(**{**args, **kwargs})


def test_episode_is_ways_of_distinct_classes_with_disjoint_support_and_queries():
    sampler = make()
    for index in range(20):
        support, query = sampler.episode(index)
        assert support.shape == (3, 2) and query.shape == (3, 3)
        classes = [LABELS[row[0]] for row in support]
        assert len(set(classes)) == 3
        for way, cls in enumerate(classes):
            assert (LABELS[support[way]] == cls).all() and (LABELS[query[way]] == cls).all()
        images = np.concatenate([support.ravel(), query.ravel()])
        assert len(set(images.tolist())) == len(images)  # no image twice, support and queries disjoint


def test_flat_layout_is_support_then_queries_way_major():
    sampler = make()
    support, query = sampler.episode(4, epoch=2)
    flat = sampler.episode_indices(4, epoch=2)
    assert flat == support.ravel().tolist() + query.ravel().tolist()
    assert sampler.episode_size == len(flat) == 15


def test_episodes_are_identical_across_instances_and_runs():
    first, second = make(), make()
    for index in range(10):
        for a, b in zip(first.episode(index, epoch=1), second.episode(index, epoch=1)):
            np.testing.assert_array_equal(a, b)
    assert list(first) == list(second)
    assert not np.array_equal(first.episode(0)[0], make(seed=4).episode(0)[0])


def test_epochs_draw_new_episodes():
    sampler = make()
    epoch0 = list(sampler)
    sampler.set_epoch(1)
    assert list(sampler) != epoch0


@pytest.mark.parametrize('world_size', [2, 3])
def test_processes_share_the_single_process_episodes(world_size):
    """Rank r iterates episodes r, r + W, ...: together the ranks cover exactly the episodes of one process."""
    single = make(num_episodes=7)
    episodes = {}
    for rank in range(world_size):
        sampler = make(num_episodes=7)
        sampler.rank, sampler.world_size = rank, world_size
        flat = list(sampler)
        assert len(flat) == len(sampler)
        for j, start in enumerate(range(0, len(flat), sampler.episode_size)):
            episodes[rank + j * world_size] = flat[start:start + sampler.episode_size]
    per_rank = -(-7 // world_size)
    assert sorted(episodes) == list(range(per_rank * world_size))  # every rank runs the same number of steps
    for index in range(7):
        assert episodes[index] == single.episode_indices(index)


def test_small_classes_are_left_out_and_too_few_classes_raise():
    labels = np.array([0] * 5 + [1] * 5 + [2] * 4 + [3] * 5)
    sampler = EpisodicSampler(labels=labels, num_ways=2, num_shots=1, num_queries=4, num_episodes=3, seed=0)
    assert sampler.classes.tolist() == [0, 1, 3]
    assert all(2 not in labels[sampler.episode(i)[0].ravel()] for i in range(30))
    with pytest.raises(ValueError, match='4-way episodes need 4 classes with at least 5 images; the dataset has 3'):
        EpisodicSampler(labels=labels, num_ways=4, num_shots=1, num_queries=4, seed=0)


def test_reads_labels_from_the_dataset():
    class Dataset:
        def get_gt_labels(self):
            return LABELS

    assert make(labels=None, dataset=Dataset()).episode_indices(2) == make().episode_indices(2)
