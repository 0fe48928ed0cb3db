"""SampleRecords: a run killed while saving its records leaves a temporary file, which the next run removes."""
from mmpart.engine.loops.sample_records import SampleRecords


def test_a_resumed_run_removes_its_own_stale_temporary_only(tmp_path):
    SampleRecords(str(tmp_path), dict(k=1), rank=0).add([dict(index=0, hit=True)])
    stale = ['.rank0.json.a1b2c3.tmp', '.rank1.json.d4e5f6.tmp']  # SIGKILL between write and rename, two ranks
    for name in stale:
        (tmp_path / name).write_text('{"key": {"k": 1}, "rec')
    records = SampleRecords(str(tmp_path), dict(k=1), rank=0)
    assert sorted(p.name for p in tmp_path.iterdir()) == ['.rank1.json.d4e5f6.tmp', 'rank0.json']
    assert records.done == {0: dict(index=0, hit=True)}  # the partial temporary was never read
