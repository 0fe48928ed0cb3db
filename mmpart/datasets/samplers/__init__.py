"""Data samplers."""
from .episodic_sampler import EpisodicSampler

__all__ = ['EpisodicSampler']
