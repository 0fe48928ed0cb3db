"""Analysis that is not a model: FLOPs and parameters, training curves, per-class accuracy, part discovery."""
from .complexity import GraphComplexity, complexity_table, input_size_from_pipeline, model_complexity
from .part_discovery import (
    assign_parts,
    deep_feature_factorization,
    discover_class_parts,
    match_parts,
    part_discovery_scores,
)
from .per_class import per_class_report, per_class_table, plot_confusion_matrix, plot_per_class, prediction_labels
from .training_logs import RunLog, curve_keys, load_run, plot_curves, summary_rows, summary_table, train_time

__all__ = [
    'GraphComplexity', 'RunLog', 'assign_parts', 'complexity_table', 'curve_keys', 'deep_feature_factorization',
    'discover_class_parts', 'input_size_from_pipeline', 'load_run', 'match_parts', 'model_complexity',
    'part_discovery_scores', 'per_class_report', 'per_class_table', 'plot_confusion_matrix', 'plot_curves',
    'plot_per_class', 'prediction_labels', 'summary_rows', 'summary_table', 'train_time'
]
