"""Synthetic PartImageNet splits shared by the few-shot tests."""
from pathlib import Path

import pytest

from mmpart.datasets.converters.synthetic_partimagenet import make_synthetic_partimagenet


@pytest.fixture(scope='session')
def synthetic_ood(tmp_path_factory) -> dict:
    """OOD layout, 6/5/5 classes of 8 images of 32 px; ``root`` and the generator's summary."""
    root = tmp_path_factory.mktemp('synthetic_partimagenet_ood')
    summary = make_synthetic_partimagenet(str(root), num_classes=(6, 5, 5), images_per_class=8, image_size=32)
    return dict(root=Path(root), **summary)


@pytest.fixture(scope='session')
def synthetic_seg(tmp_path_factory) -> dict:
    """Seg layout (flat images, PNGs with background 40) of 3/2/2 classes of 2 images of 48 px."""
    root = tmp_path_factory.mktemp('synthetic_partimagenet_seg')
    summary = make_synthetic_partimagenet(str(root), num_classes=(3, 2, 2), images_per_class=2, image_size=48,
                                          layout='seg')
    return dict(root=Path(root), **summary)
