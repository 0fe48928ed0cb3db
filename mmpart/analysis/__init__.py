"""Analyses that are not models: part discovery (DFF) and its scores."""
from .part_discovery import (
    assign_parts,
    deep_feature_factorization,
    discover_class_parts,
    match_parts,
    part_discovery_scores,
)

__all__ = ['assign_parts', 'deep_feature_factorization', 'discover_class_parts', 'match_parts',
           'part_discovery_scores']
