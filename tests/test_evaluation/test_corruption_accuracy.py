"""ImageNet-C: mCE on a constructed error table, the release and on-the-fly datasets, the metric."""
import numpy as np
import pytest
import torch
from PIL import Image

from mmpart.evaluation.metrics import CorruptionAccuracy, mean_corruption_error
from mmpart.registry import DATASETS
from mmpart.utils import register_all_modules

WNIDS = ['n90000000', 'n90000001']


def test_mce_hand_computed():
    errors = {
        'gaussian_noise': {1: 0.5, 2: 0.6, 3: 0.7, 4: 0.8, 5: 0.9},  # 3.5 / (5 × 0.886428) = 0.789686
        'brightness': {1: 0.1, 2: 0.2, 3: 0.3, 4: 0.4, 5: 0.5},  # 1.5 / (5 × 0.564592) = 0.531357
        'fog': {1: 0.9, 2: 0.9, 3: 0.9},  # not all severities: no CE
        'speckle_noise': {s: 0.5 for s in range(1, 6)},  # no AlexNet error: no CE
    }
    mce, ce = mean_corruption_error(errors)
    assert ce == {'gaussian_noise': pytest.approx(0.789686, abs=1e-6), 'brightness': pytest.approx(0.531357, abs=1e-6)}
    assert mce == pytest.approx(0.660522, abs=1e-6)
    assert np.isnan(mean_corruption_error({'fog': {1: 0.5}})[0])


def write_image(path, value):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.full((32, 32, 3), value, np.uint8)).save(path)  # imagecorruptions needs >= 32 px


def test_imagenet_c_release_layout(tmp_path):
    register_all_modules()  # whatever default scope an earlier test left current
    for corruption in ('fog', 'snow'):
        for severity in (1, 2):
            for label, wnid in enumerate(WNIDS):
                write_image(tmp_path / corruption / str(severity) / wnid / f'{wnid}_1.JPEG', 10 * label)
    dataset = DATASETS.build(dict(type='ImageNetC', data_root=str(tmp_path), corruptions=['snow', 'fog'],
                                  severities=[2], classes=WNIDS))
    got = [(d['corruption'], d['severity'], d['gt_label'], d['img_path'].split('/')[-4:-1])
           for d in (dataset.get_data_info(i) for i in range(len(dataset)))]
    assert got == [('snow', 2, 0, ['snow', '2', WNIDS[0]]), ('snow', 2, 1, ['snow', '2', WNIDS[1]]),
                   ('fog', 2, 0, ['fog', '2', WNIDS[0]]), ('fog', 2, 1, ['fog', '2', WNIDS[1]])]
    with pytest.raises(FileNotFoundError, match='frost/1'):
        DATASETS.build(dict(type='ImageNetC', data_root=str(tmp_path), corruptions=['frost'], severities=[1],
                            classes=WNIDS))


def test_on_the_fly_corruption_is_applied_and_reproducible(tmp_path):
    register_all_modules()  # the pipeline's transforms in the mmpart scope
    for label, wnid in enumerate(WNIDS):
        write_image(tmp_path / wnid / 'a.png', 100 + 50 * label)
    pipeline = [dict(type='LoadImageFromFile'), dict(type='ImageNetCCorrupt'),
                dict(type='PackInputs', meta_keys=('sample_idx', 'corruption', 'severity'))]
    dataset = DATASETS.build(dict(type='ImageNetCOnTheFly', data_root=str(tmp_path), classes=WNIDS,
                                  corruptions=['gaussian_noise', 'contrast'], severities=[1, 5], pipeline=pipeline))
    assert len(dataset) == 8
    first, again = dataset[0], dataset[0]
    assert torch.equal(first['inputs'], again['inputs'])  # seeded per sample
    assert first['data_samples'].corruption == 'gaussian_noise' and first['data_samples'].severity == 1
    clean = torch.full_like(first['inputs'], 100)
    assert not torch.equal(first['inputs'], clean)
    strong = dataset[2]['inputs'].float()  # gaussian_noise severity 5, same image
    assert (strong - 100).abs().mean() > (first['inputs'].float() - 100).abs().mean()


def sample(corruption, severity, pred, label):
    return dict(corruption=corruption, severity=severity, pred_label=torch.tensor([pred]),
                gt_label=torch.tensor([label]))


def test_corruption_accuracy_metric():
    samples = []
    for severity in range(1, 6):  # brightness: severity s has s wrong out of 10
        right, wrong = sample('brightness', severity, 0, 0), sample('brightness', severity, 1, 0)
        samples += [right] * (10 - severity) + [wrong] * severity
    samples += [sample('fog', 1, 0, 0), sample('fog', 1, 1, 0)]
    metric = CorruptionAccuracy()
    metric.process({}, samples)
    metrics = metric.compute_metrics(metric.results)
    assert metrics['brightness/s3'] == pytest.approx(70.0) and metrics['fog/s1'] == pytest.approx(50.0)
    assert metrics['brightness'] == pytest.approx(70.0)  # errors 0.1 .. 0.5
    assert metrics['mean_accuracy'] == pytest.approx((90 + 80 + 70 + 60 + 50 + 50) / 6)
    assert metrics['mCE'] == metrics['CE/brightness'] == pytest.approx(100 * 0.3 / 0.564592)
    assert 'CE/fog' not in metrics
    with pytest.raises(KeyError, match='meta_keys'):
        metric.process({}, [dict(pred_label=torch.tensor([0]), gt_label=torch.tensor([0]))])


def test_alexnet_constants_are_design_s_in_its_order():
    from mmpart.datasets.robustness.imagenet_meta import ALEXNET_CORRUPTION_ERRORS, IMAGENET_C_CORRUPTIONS
    design = [0.886428, 0.894468, 0.922640, 0.819880, 0.826268, 0.785948, 0.798360, 0.866816, 0.826572, 0.819324,
              0.564592, 0.853204, 0.646056, 0.717840, 0.606500]  # DESIGN §2.3, in the order of the 15 corruptions
    assert list(IMAGENET_C_CORRUPTIONS) == [
        'gaussian_noise', 'shot_noise', 'impulse_noise', 'defocus_blur', 'glass_blur', 'motion_blur', 'zoom_blur',
        'snow', 'frost', 'fog', 'brightness', 'contrast', 'elastic_transform', 'pixelate', 'jpeg_compression']
    assert [ALEXNET_CORRUPTION_ERRORS[c] for c in IMAGENET_C_CORRUPTIONS] == design
    assert set(ALEXNET_CORRUPTION_ERRORS) == set(IMAGENET_C_CORRUPTIONS)


def test_custom_baseline_prefix_and_incomplete_grids(monkeypatch):
    from mmpart.evaluation.metrics import corruption_accuracy
    logged = []
    monkeypatch.setattr(corruption_accuracy, 'print_log', lambda msg, **kwargs: logged.append(msg))
    samples = [sample('blur', s, 0, 0) for s in range(1, 6)] + [sample('blur', 3, 1, 0)]  # error 0.5 at s3
    metric = CorruptionAccuracy(baseline=dict(blur=0.25), prefix='c')
    metric.process({}, samples)
    metrics = metric.evaluate(len(samples))
    assert metrics['c/mCE'] == metrics['c/CE/blur'] == pytest.approx(100 * 0.1 / 0.25) and not logged
    partial = CorruptionAccuracy()  # fog at one severity only: no mCE, and a message saying why
    partial.process({}, [sample('fog', 1, 0, 0)])
    assert 'mCE' not in partial.compute_metrics(partial.results)
    assert logged == ['CorruptionAccuracy: no corruption with an AlexNet error was evaluated at all 5 severities, '
                      'so there is no mCE']
    for missing in ('corruption', 'severity'):
        incomplete = sample('fog', 1, 0, 0)
        del incomplete[missing]
        with pytest.raises(KeyError, match=r'CorruptionAccuracy needs corruption/severity in the data samples: add '
                                           r'them to PackInputs\(meta_keys=\.\.\.\) in the test pipeline'):
            CorruptionAccuracy().process({}, [incomplete])
