"""The ledger does all its I/O through the `fs` port: it runs unchanged on pyfakefs' os module."""
from __future__ import annotations

import errno

import pytest
from pyfakefs.fake_filesystem import FakeFilesystem
from pyfakefs.fake_os import FakeOsModule

from omen import FixedClock, LedgerReader, LedgerWriteError, LedgerWriter
from tests.omen.ledger_helpers import DAY_1, make_event


def test_writer_and_reader_run_unchanged_on_a_fake_os_module():
    fake_os = FakeOsModule(FakeFilesystem())
    writer = LedgerWriter("/ledger", fs=fake_os, clock=FixedClock(DAY_1), segment_max_records=2)
    placed = [writer.write(make_event(i)) for i in range(5)]
    writer.seal_partition("2026-03-01")
    writer.close()
    reader = LedgerReader("/ledger", fs=fake_os)
    assert [r.event for r in reader.read_partition("2026-03-01")] == placed
    assert reader.get_partition_info("2026-03-01").is_sealed


def test_a_full_fake_disk_surfaces_as_ledger_write_error():
    filesystem = FakeFilesystem()
    filesystem.set_disk_usage(4096)
    fake_os = FakeOsModule(filesystem)
    writer = LedgerWriter("/ledger", fs=fake_os, clock=FixedClock(DAY_1))
    with pytest.raises(LedgerWriteError) as caught:
        for i in range(100):
            writer.write(make_event(i))
    assert caught.value.cause.errno == errno.ENOSPC
    written = list(LedgerReader("/ledger", fs=fake_os).read_partition("2026-03-01"))
    assert [r.sequence for r in written] == list(range(1, len(written) + 1))
