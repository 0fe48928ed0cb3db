"""tools/analysis_tools/confusion_matrix.py on the hand-set classifier, whose clean and robust confusion
matrices are known in closed form, and the per-class report on hand-made predictions."""
import json
import runpy
import shutil
import sys
from pathlib import Path

import pytest
import torch

from mmpart.analysis import per_class_report, per_class_table, prediction_labels

from ..test_engine.hand_set_classifier import DISTANCES, hand_set_config, make_margin_data, write_checkpoint

REPO = Path(__file__).resolve().parents[2]
TOOL = str(REPO / 'tools' / 'analysis_tools' / 'confusion_matrix.py')
EPS = 4


def expected_matrices():
    """Per class: len(DISTANCES) right samples and one on the wrong side; under an L-inf attack of EPS/255 the
    right ones closer than EPS to the boundary flip too."""
    right, broken = len(DISTANCES), sum(d < EPS for d in DISTANCES)
    return [[right, 1], [1, right]], [[right - broken, 1 + broken], [1 + broken, right - broken]]


@pytest.fixture(scope='module')
def hand_set_report(tmp_path_factory):
    root = tmp_path_factory.mktemp('confusion')
    config = root / 'hand_set.py'
    hand_set_config(make_margin_data(root / 'data')).dump(str(config))
    checkpoint = write_checkpoint(root / 'hand_set.pth')
    out = root / 'out'
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sys, 'argv', [TOOL, str(config), checkpoint, '--out-dir', str(out), '--work-dir',
                                    str(root / 'work'), '--attack', 'pgd', '--eps', str(EPS), '--steps', '3',
                                    '--step-size', '2', '--attack-cfg', 'random_start=False'])
        runpy.run_path(TOOL, run_name='__main__')
    return root, str(config), out, json.loads((out / 'per_class_accuracy.json').read_text())


def test_matrices_and_per_class_accuracy_are_the_closed_form_ones(hand_set_report):
    _, _, out, report = hand_set_report
    clean, robust = expected_matrices()
    assert report['classes'] == ['class0', 'class1'] and report['num_samples'] == [7, 7]
    assert report['clean']['confusion_matrix'] == clean
    assert report['robust']['confusion_matrix'] == robust
    assert report['clean']['per_class_accuracy'] == pytest.approx([100 * 6 / 7] * 2)
    assert report['robust']['per_class_accuracy'] == pytest.approx([100 * 4 / 7] * 2)
    # the worst-case convention is RobustAccuracy's: the same run's metric agrees
    assert report['robust']['accuracy'] == pytest.approx(report['test_metrics']['accuracy/robust_top1'])
    assert report['clean']['accuracy'] == pytest.approx(report['test_metrics']['accuracy/top1'])
    assert report['attack'] == dict(type='PGD', eps=4.0, steps=3, step_size=2.0, random_start=False)
    for name in ('confusion_matrix_clean.png', 'confusion_matrix_robust.png', 'per_class_accuracy.png'):
        assert (out / name).stat().st_size > 0


def test_dumped_predictions_give_the_same_report(hand_set_report, tmp_path, monkeypatch, capsys):
    _, config, out, report = hand_set_report
    monkeypatch.setattr(sys, 'argv', [TOOL, config, str(out / 'predictions.pkl'), '--out-dir', str(tmp_path)])
    runpy.run_path(TOOL, run_name='__main__')
    again = json.loads((tmp_path / 'per_class_accuracy.json').read_text())
    assert {k: again[k] for k in ('classes', 'clean', 'robust')} == {k: report[k] for k in ('classes', 'clean',
                                                                                            'robust')}
    assert '| all | 14 | 85.71 | 57.14 |' in capsys.readouterr().out


def test_a_reused_out_dir_holds_only_what_the_last_run_wrote(hand_set_report, tmp_path, monkeypatch, capsys):
    root, config, out, _ = hand_set_report
    reused = tmp_path / 'reused'
    shutil.copytree(out, reused)  # an earlier run under attack
    monkeypatch.setattr(sys, 'argv', [TOOL, config, str(reused / 'predictions.pkl'), '--out-dir', str(reused)])
    runpy.run_path(TOOL, run_name='__main__')  # predictions read from the out dir itself: kept
    assert (reused / 'predictions.pkl').is_file() and (reused / 'confusion_matrix_robust.png').is_file()
    monkeypatch.setattr(sys, 'argv', [TOOL, config, write_checkpoint(tmp_path / 'hand_set.pth'), '--out-dir',
                                      str(reused), '--work-dir', str(tmp_path / 'work')])
    runpy.run_path(TOOL, run_name='__main__')  # clean only
    assert sorted(p.name for p in reused.iterdir()) == ['confusion_matrix_clean.png', 'per_class_accuracy.json',
                                                        'per_class_accuracy.png', 'predictions.pkl']
    assert 'robust' not in json.loads((reused / 'per_class_accuracy.json').read_text())
    assert (f'from an earlier run in {reused}/: replaced per_class_accuracy.json, per_class_accuracy.png, '
            'confusion_matrix_clean.png, predictions.pkl; removed confusion_matrix_robust.png (not written by this '
            'run)') in capsys.readouterr().out


def sample(gt: int, clean: int, adv: int = None) -> dict:
    out = dict(gt_label=torch.tensor([gt]), pred_label=torch.tensor([clean]))
    if adv is not None:
        out['adv_pred_label'] = torch.tensor([adv])
    return out


def test_a_wrong_clean_prediction_stays_wrong_under_attack():
    # class 1 sample misclassified clean, "corrected" by the attack: still counts as wrong (worst case)
    results = [sample(0, 0, 0), sample(0, 0, 2), sample(1, 2, 1), sample(2, 2, 2)]
    gt, clean, worst = prediction_labels(results)
    assert worst.tolist() == [0, 2, 2, 2]
    report = per_class_report(results, ['a', 'b', 'c'])
    assert report['robust']['confusion_matrix'] == [[1, 0, 1], [0, 0, 1], [0, 0, 1]]
    assert report['robust']['per_class_accuracy'] == [50.0, 0.0, 100.0]
    assert report['clean']['per_class_accuracy'] == [100.0, 0.0, 100.0]


def test_clean_only_predictions_and_classes_without_samples():
    report = per_class_report([sample(0, 0), sample(0, 1)], ['a', 'b'])
    assert 'robust' not in report
    assert report['clean']['per_class_accuracy'] == [50.0, None]
    assert per_class_table(report).splitlines()[-2:] == ['| b | 0 | - |', '| all | 2 | 50.00 |']


def test_labels_beyond_the_class_names_are_refused():
    with pytest.raises(ValueError, match='2 class names'):
        per_class_report([sample(0, 2)], ['a', 'b'])
