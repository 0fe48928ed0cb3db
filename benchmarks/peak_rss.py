"""Peak memory of a few steps as the OS sees it, for the benchmarks (torch has no allocator statistics on CPU).

Each measurement runs in a fresh subprocess that builds what it measures, resets the kernel's peak-RSS mark
(``/proc/self/clear_refs``), records its resident set size (RSS), runs the steps and reports the growth of the
peak RSS (``VmHWM``) over that baseline: activations, gradients, optimizer state and allocator slack, as the OS
sees them. ``getrusage``'s ``ru_maxrss`` would not do: it keeps the parent's peak across ``fork``/``exec``.
"""
import json
import statistics
import subprocess
import sys
from typing import Callable, Dict, List


def memory_status_mb(field: str) -> float:
    """``VmRSS`` (current) or ``VmHWM`` (peak) of this process, in MB."""
    with open('/proc/self/status') as f:
        line = next(line for line in f if line.startswith(field + ':'))
    return int(line.split()[1]) / 1024


def peak_growth(step: Callable[[], object], steps: int = 2) -> Dict[str, float]:
    """Growth of the peak RSS over the current RSS while running ``step`` ``steps`` times, and the peak, in MB."""
    with open('/proc/self/clear_refs', 'w') as f:
        f.write('5')  # reset VmHWM to the current RSS
    base = memory_status_mb('VmRSS')
    for _ in range(steps):
        step()
    peak = memory_status_mb('VmHWM')
    return dict(peak_growth_mb=peak - base, peak_mb=peak)


def median_of_subprocesses(argv: List[str], repeats: int) -> Dict[str, float]:
    """Run ``python argv`` ``repeats`` times; the median of each number in the JSON of its last output line."""
    probes = []
    for _ in range(repeats):
        out = subprocess.run([sys.executable, *argv], check=True, capture_output=True, text=True).stdout
        probes.append(json.loads(out.strip().splitlines()[-1]))
    return {key: statistics.median(p[key] for p in probes) for key in probes[0] if not isinstance(probes[0][key], str)}
