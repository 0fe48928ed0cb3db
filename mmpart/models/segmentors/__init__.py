"""Segmentors."""
from .mpm_bypass_segmentor import MPMBypassSegmentor

__all__ = ['MPMBypassSegmentor']
