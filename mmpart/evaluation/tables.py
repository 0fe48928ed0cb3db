"""Markdown tables of evaluation results."""
import re
from typing import Any, Dict, List, Sequence


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A GitHub markdown table; floats with two decimals, None as '-'."""

    def cell(value: Any) -> str:
        if value is None:
            return '-'
        return f'{value:.2f}' if isinstance(value, float) else str(value)

    lines = ['| ' + ' | '.join(header) + ' |', '|' + '---|' * len(header)]
    lines += ['| ' + ' | '.join(cell(v) for v in row) + ' |' for row in rows]
    return '\n'.join(lines)


def clean_robust_rows(metrics: Dict[str, float]) -> List[List[Any]]:
    """``[name, clean, robust]`` rows from ``<prefix>/top{k}`` and ``<prefix>/robust_top{k}`` keys."""
    rows = []
    for key, clean in metrics.items():
        match = re.fullmatch(r'(.*/)?(top\d+)', key)
        if match:
            prefix = match.group(1) or ''
            rows.append([key, clean, metrics.get(f'{prefix}robust_{match.group(2)}')])
    return rows

