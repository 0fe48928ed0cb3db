"""Matplotlib figures of the analysis tools: a headless backend and atomic saving."""
import os.path as osp

from mmpart.utils import atomic_write


def pyplot():
    """``matplotlib.pyplot`` on the non-interactive Agg backend (tools run on machines without a display)."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    return plt


def save_figure(fig, path: str, dpi: int = 110) -> None:
    """Write ``fig`` to ``path`` (format from the suffix, png by default) atomically, then close it."""
    with atomic_write(path) as f:
        fig.savefig(f, format=osp.splitext(path)[1][1:] or 'png', dpi=dpi, bbox_inches='tight')
    pyplot().close(fig)
