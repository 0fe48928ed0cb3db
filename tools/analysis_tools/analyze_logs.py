"""Training curves and training time of one or several runs, from mmengine's json logs.

Examples::

    # loss_cls, per-scale part losses, part accuracy, clean and robust val accuracy, lr of two runs in one figure
    python tools/analysis_tools/analyze_logs.py plot_curve work_dirs/baseline_r50 work_dirs/mpm_r50 \
        --out work_dirs/curves.png
    python tools/analysis_tools/analyze_logs.py plot_curve \
        work_dirs/mpm_r50/20261122_101010/vis_data/20261122_101010.json --keys loss_cls acc_part --legend mpm
    python tools/analysis_tools/analyze_logs.py cal_train_time work_dirs/mpm_r50

A run is a json log or a work dir (its latest log). ``plot_curve`` also prints the last and best value of
each validation metric and writes them next to the figure (``<out>.json``).
"""
import argparse
import os.path as osp

from mmpart.analysis import curve_keys, load_run, plot_curves, summary_rows, summary_table, train_time
from mmpart.utils import atomic_write_json
from mmpart.utils.entry_point import run_tool


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Analyse mmengine json logs')
    tasks = parser.add_subparsers(dest='task', required=True)
    plot = tasks.add_parser('plot_curve', help='plot training curves of one or several runs in one figure')
    plot.add_argument('runs', nargs='+', help='json logs or work dirs')
    plot.add_argument('--keys', nargs='+', help='metrics to plot (default: the losses, part and val accuracies, lr)')
    plot.add_argument('--legend', nargs='+', help='run names (default: the work dir names)')
    plot.add_argument('--title', help='figure title')
    plot.add_argument('--out', default='work_dirs/curves.png', help='figure file (png, pdf, svg)')
    timing = tasks.add_parser('cal_train_time', help='mean time per training iteration')
    timing.add_argument('runs', nargs='+', help='json logs or work dirs')
    args = parser.parse_args()
    if getattr(args, 'legend', None) and len(args.legend) != len(args.runs):
        parser.error(f'--legend needs one name per run ({len(args.runs)}), got {len(args.legend)}')
    return args


def main() -> None:
    args = parse_args()
    names = getattr(args, 'legend', None) or [None] * len(args.runs)
    runs = [load_run(path, name) for path, name in zip(args.runs, names)]
    if args.task == 'cal_train_time':
        for run in runs:
            times = train_time(run)
            print(f'{run.name} ({run.path}): {times["time"]:.4f} s/iter, data {times["data_time"]:.4f} s/iter')
        return
    keys = curve_keys(runs, args.keys)
    plot_curves(runs, keys, args.out, args.title)
    table_keys = [k for k in keys if any(k in record for run in runs for record in run.val)]
    if table_keys:
        print(summary_table(runs, table_keys))
    header, rows = summary_rows(runs, table_keys)
    atomic_write_json(osp.splitext(args.out)[0] + '.json',
                      dict(runs={run.name: run.path for run in runs}, keys=keys,
                           summary=[dict(zip(header, row)) for row in rows]), indent=2)
    print(f'curves of {", ".join(r.name for r in runs)} ({", ".join(keys)}) written to {args.out}')


if __name__ == '__main__':
    run_tool(main)
