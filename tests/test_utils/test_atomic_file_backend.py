"""Checkpoints that mmengine saves while mmpart is imported are written atomically."""
import pytest
import torch
from mmengine.fileio import get_file_backend
from mmengine.runner.checkpoint import save_checkpoint

import mmpart  # noqa: F401  (installs the backend)
from mmpart.utils.atomic_file_backend import AtomicLocalBackend


def test_mmengine_saves_through_a_temporary_file(tmp_path, monkeypatch):
    assert type(get_file_backend(str(tmp_path / 'x.pth'))) is AtomicLocalBackend
    path = tmp_path / 'epoch_1.pth'
    save_checkpoint({'state_dict': {'w': torch.ones(2)}}, str(path))
    assert torch.equal(torch.load(path, weights_only=True)['state_dict']['w'], torch.ones(2))

    # killed after writing the next one's bytes, before they are in place: the old checkpoint stays whole
    def killed(*args):
        raise KeyboardInterrupt

    monkeypatch.setattr('mmpart.utils.atomic_io.os.replace', killed)
    with pytest.raises(KeyboardInterrupt):
        save_checkpoint({'state_dict': {'w': torch.zeros(2)}}, str(path))
    monkeypatch.undo()
    assert torch.equal(torch.load(path, weights_only=True)['state_dict']['w'], torch.ones(2))
    assert sorted(p.name for p in tmp_path.iterdir()) == ['epoch_1.pth']


def test_put_text_creates_folders(tmp_path):
    AtomicLocalBackend().put_text('épôch', tmp_path / 'a' / 'b.txt')
    assert (tmp_path / 'a' / 'b.txt').read_text(encoding='utf-8') == 'épôch'
