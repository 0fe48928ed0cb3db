"""Training hooks."""
from .attack_step_ramp_hook import AttackStepRampHook
from .strict_load_hook import StrictLoadHook

__all__ = ['AttackStepRampHook', 'StrictLoadHook']
