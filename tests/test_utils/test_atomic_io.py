"""Atomic writes leave the old file or the new one, never a part; a killed writer's temporary files are removable."""
import pytest

from mmpart.utils.atomic_io import atomic_write, atomic_write_text, remove_stale_temps


def test_a_failed_write_keeps_the_old_file_and_no_temporary(tmp_path):
    path = tmp_path / 'out.json'
    atomic_write_text(path, 'old')
    with pytest.raises(RuntimeError):
        with atomic_write(path, 'w') as f:
            f.write('half')
            raise RuntimeError('killed')
    assert path.read_text() == 'old' and sorted(p.name for p in tmp_path.iterdir()) == ['out.json']


def test_stale_temps_of_own_targets_only(tmp_path):
    for name in ('.a.png.x1y2z3.tmp', '.b.png.q9w8e7.tmp', 'a.png'):
        (tmp_path / name).write_bytes(b'')
    remove_stale_temps(str(tmp_path), {'a.png'})
    assert sorted(p.name for p in tmp_path.iterdir()) == ['.b.png.q9w8e7.tmp', 'a.png']
