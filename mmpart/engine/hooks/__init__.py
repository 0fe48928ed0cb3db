"""Training hooks."""
from .adversarial_weight_perturbation_hook import AdversarialWeightPerturbationHook
from .attack_step_ramp_hook import AttackStepRampHook
from .piecewise_linear_lr_hook import PiecewiseLinearLRHook
from .progressive_resizing_hook import ProgressiveResizingHook
from .strict_load_hook import StrictLoadHook
from .training_attack_state_hook import TrainingAttackStateHook

__all__ = ['AdversarialWeightPerturbationHook', 'AttackStepRampHook', 'PiecewiseLinearLRHook',
           'ProgressiveResizingHook', 'StrictLoadHook', 'TrainingAttackStateHook']
