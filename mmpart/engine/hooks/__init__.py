"""Training hooks."""
from .adversarial_weight_perturbation_hook import AdversarialWeightPerturbationHook
from .attack_step_ramp_hook import AttackStepRampHook
from .strict_load_hook import StrictLoadHook

__all__ = ['AdversarialWeightPerturbationHook', 'AttackStepRampHook', 'StrictLoadHook']
