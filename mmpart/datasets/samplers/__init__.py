"""Data samplers."""
from .classification_episode_sampler import ClassificationEpisodeSampler
from .episodic_sampler import EpisodicSampler

__all__ = ['ClassificationEpisodeSampler', 'EpisodicSampler']
