"""Python API: build a model from a config, classify one image, draw its parts, attack it."""
from .inference import (
                        AdversarialExample,
                        ClassPrediction,
                        PartPrediction,
                        attack_image,
                        build_inferencer,
                        inference_model,
                        inference_parts,
)
from .model import class_display_names, display_class_names, init_model, object_names_of_config, wnid_names

__all__ = ['AdversarialExample', 'ClassPrediction', 'PartPrediction', 'attack_image', 'build_inferencer',
           'class_display_names', 'display_class_names', 'inference_model', 'inference_parts', 'init_model',
           'object_names_of_config', 'wnid_names']
