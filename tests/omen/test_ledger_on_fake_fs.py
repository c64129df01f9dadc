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


def test_read_all_reads_on_after_short_reads_with_the_same_ops():
    """`read_all`: one lseek, then reads until `size_bytes` are in or a read returns nothing, at most
    `size_bytes // READ_CHUNK_BYTES + 2` reads; a whole first read is returned as it is."""
    from omen.ledger.fs_ops import READ_CHUNK_BYTES, read_all

    class Port:
        def __init__(self, data: bytes, step: int) -> None:
            self.data, self.step, self.offset, self.ops = data, step, 0, []

        def lseek(self, fd, pos, how):  # noqa: ANN001, ANN201
            self.ops.append(("lseek", pos))
            self.offset = pos
            return pos

        def read(self, fd, n):  # noqa: ANN001, ANN201
            self.ops.append(("read", n))
            chunk = self.data[self.offset:self.offset + min(n, self.step)]
            self.offset += len(chunk)
            return chunk

    for data, step, size in ((b"", 1, 0), (b"abcdef", 100, 6), (b"abcdef", 2, 6), (b"abc", 100, 6), (b"", 1, 4)):
        port = Port(data, step)
        got_bytes = read_all(port, 3, size)
        expected = [("lseek", 0)]
        offset = 0
        for _ in range(size // READ_CHUNK_BYTES + 2):
            if offset >= size:
                break
            expected.append(("read", min(READ_CHUNK_BYTES, size - offset)))
            got = len(data[offset:offset + min(size - offset, step)])
            if not got:
                break
            offset += got
        assert port.ops == expected, (data, step, size)
        assert got_bytes == data[:offset], (data, step, size)
