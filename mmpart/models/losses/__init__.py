"""Losses."""
from .soft_focal_loss import SoftFocalLoss, soft_focal_loss
from .trades_loss import TRADESLoss

__all__ = ['SoftFocalLoss', 'TRADESLoss', 'soft_focal_loss']
