"""benchmarks/data_throughput.py runs end to end at CI size and writes its table's numbers as JSON."""
import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_quick_run_writes_every_pipeline_stage_and_loader(tmp_path):
    out = tmp_path / 'throughput.json'
    env = dict(os.environ, PYTHONPATH=str(REPO))
    proc = subprocess.run([sys.executable, str(REPO / 'benchmarks' / 'data_throughput.py'), '--quick', '--out',
                           str(out)], cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads(out.read_text())
    assert report['data']['images'] == 24 and 50 < report['data']['mean_jpeg_kb'] < 250
    per_core = report['per_core']
    assert set(per_core) == {'reference', 'mmpart-cpu-augments-uint16-masks', 'mmpart-cpu-augments', 'mmpart-recipe'}
    assert per_core['mmpart-recipe']['stage_ms'].get('jitter', 0) == 0  # on the batch, in the data preprocessor
    assert per_core['mmpart-cpu-augments']['stage_ms']['jitter'] > 0
    for name, result in per_core.items():
        assert result['images_per_s'] > 0, name
        assert {'crop+resize', 'flip', 'pack', 'collate'} <= set(result['stage_ms']), name
    assert set(per_core['reference']['stage_ms']) == {'image decode', 'mask decode', 'crop+resize', 'flip', 'jitter',
                                                      'pack', 'erasing', 'collate'}
    for name, loader in report['dataloader'].items():
        assert loader['images'] > 0 and len(loader['worker_rss_mb']) == int(name.split(', ')[1][0]), name
        assert all(rss >= private > 0 for rss, private in zip(loader['worker_rss_mb'], loader['worker_private_mb']))
        assert loader['worker_cpu_ms_per_image'] > 0
    assert report['recipe_vs_reference'] == per_core['mmpart-recipe']['images_per_s'] / per_core['reference'][
        'images_per_s']
    assert set(report['device_augments_cpu_ms']) == {'pixel-augment preprocessor', 'ClsDataPreprocessor'}
    assert {'opencv', 'pillow'} <= set(report['jpeg_decode_ms'])
    assert 'mmpart recipe / reference, per core' in proc.stdout
