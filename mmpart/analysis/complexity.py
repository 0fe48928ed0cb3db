"""FLOPs, parameters and activations of a model as deployed and, for models with a part bypass, of the
training graph (bypass included), counted by mmengine's analyzers (``mmengine.analysis``, fvcore's counters).

"Deployed" is the inference graph, ``model(inputs, mode='tensor')``. Parameters are those of the modules that
graph runs, as traced: modules whose outputs nothing reads are left out (the tracer drops them) and so are
their parameters. For MPM that is the bypass and the backbone outputs only the bypass reads (e.g. ConvNeXt's
``norm1``/``norm2``), what ``mpm_to_cls.py`` strips, so a deployed MPM and the plain classifier of the same
backbone give identical numbers. Each graph lists the modules with parameters it leaves out.
"""
from dataclasses import asdict, dataclass
from typing import Callable, Dict, List, Sequence, Tuple

import torch
import torch.nn as nn
from mmengine.analysis import ActivationAnalyzer, FlopAnalyzer, parameter_count
from mmengine.analysis.print_helper import complexity_stats_table

from mmpart.evaluation.tables import markdown_table

__all__ = ['GraphComplexity', 'model_complexity', 'complexity_table', 'input_size_from_pipeline']


@dataclass
class GraphComplexity:
    """Counts of one graph of a model for one input size (FLOPs as fvcore counts them: one per MAC)."""
    graph: str
    input_shape: Tuple[int, ...]
    flops: int
    params: int
    activations: int
    not_run: Tuple[str, ...] = ()
    table: str = ''

    def to_dict(self) -> dict:
        """JSON form (without the per-module table)."""
        out = asdict(self)
        out.pop('table')
        out['input_shape'] = list(self.input_shape)
        out['not_run'] = list(self.not_run)
        return out


class _Graph(nn.Module):
    """Runs ``forward_fn`` on a model whose children (but the data preprocessor) it holds, for the counters."""

    def __init__(self, model: nn.Module, forward_fn: Callable[[torch.Tensor], object]) -> None:
        super().__init__()
        for name, child in model.named_children():
            if name != 'data_preprocessor':
                self.add_module(name, child)
        self._forward_fn = forward_fn

    def forward(self, inputs: torch.Tensor):
        return self._forward_fn(inputs)


def _training_forward(model: nn.Module) -> Callable[[torch.Tensor], object]:
    """Backbone (all scales) → classification neck and head, plus the part bypass on the same features:
    the forward of ``loss`` mode without the losses (and without the attack of adversarial training)."""

    def forward(inputs: torch.Tensor):
        feats = model.extract_feat(inputs, stage='backbone')
        cls_feats = model.neck(feats[-1:]) if model.with_neck else feats[-1:]
        return model.head(cls_feats), model.part_head(feats)

    return forward


def _count(graph: nn.Module, name: str, input_shape: Tuple[int, ...], with_table: bool) -> GraphComplexity:
    inputs = (torch.zeros(1, *input_shape, device=next(graph.parameters()).device), )
    flops = FlopAnalyzer(graph, inputs).uncalled_modules_warnings(False)
    activations = ActivationAnalyzer(graph, inputs).unsupported_ops_warnings(False).uncalled_modules_warnings(False)
    counts = parameter_count(graph)
    unused = sorted(m for m in flops.uncalled_modules() if counts.get(m, 0) > 0)
    not_run = tuple(m for m in unused if not any(m.startswith(f'{other}.') for other in unused))
    table = complexity_stats_table(flops=flops, activations=activations, show_param_shapes=False) if with_table else ''
    params = counts[''] - sum(counts[m] for m in not_run)
    return GraphComplexity(name, tuple(input_shape), int(flops.total()), int(params), int(activations.total()),
                           not_run, table)


@torch.no_grad()
def model_complexity(model: nn.Module, input_shape: Tuple[int, int, int],
                     with_table: bool = False) -> List[GraphComplexity]:
    """Complexity of ``model`` (an mmengine ``BaseModel``, in eval mode) for one C×H×W input.

    Returns the ``deployed`` graph and, if the model has a part bypass (``part_head``), the ``training`` graph
    with the bypass. The data preprocessor is not counted (as in mmpretrain's ``get_flops.py``).
    """
    results = [_count(_Graph(model, lambda x: model(x, mode='tensor')), 'deployed', input_shape, with_table)]
    if getattr(model, 'part_head', None) is not None:
        results.append(_count(_Graph(model, _training_forward(model)), 'training (with bypass)', input_shape,
                              with_table))
    return results


def _readable(count: int) -> str:
    for unit, scale in (('G', 1e9), ('M', 1e6), ('K', 1e3)):
        if count >= scale:
            return f'{count / scale:.3f}{unit}'
    return str(count)


def complexity_table(results: Dict[str, Sequence[GraphComplexity]]) -> str:
    """Markdown table, one row per graph of each config: config, graph, input, FLOPs, parameters, activations
    (G/M/K units) and the modules with parameters the graph does not run."""
    rows = [[config, r.graph, 'x'.join(map(str, r.input_shape)), _readable(r.flops), _readable(r.params),
             _readable(r.activations), ', '.join(r.not_run) or '-']
            for config, graphs in results.items() for r in graphs]
    return markdown_table(['config', 'graph', 'input', 'FLOPs', 'params', 'activations', 'not run'], rows)


def input_size_from_pipeline(pipeline: Sequence[dict], default: int = 224) -> Tuple[int, int]:
    """H×W a test pipeline feeds the model: its last crop (``crop_size``) or fixed ``Resize`` scale."""
    size = None
    for step in pipeline:
        value = step.get('crop_size') if step.get('type', '').endswith('CenterCrop') else None
        if value is None and step.get('type', '').endswith('Resize') and not step.get('keep_ratio', False):
            value = step.get('scale')
        if value is not None:
            size = value
    if size is None:
        return default, default
    if isinstance(size, int):
        return size, size
    return int(size[1]), int(size[0])  # OpenMMLab scales are (w, h)
