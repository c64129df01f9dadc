"""The durable index keeps a closed segment's bytes as the disk's one settled copy, not its own.

When a segment it has parsed whole stops changing and is made read-only (the rollover's `chmod`),
the disk holds one immutable copy of the file (`SimDisk.settled_bytes`); the index keeps that
object as the bytes it parsed instead of a bytearray of its own. Should the file ever grow again
(made writable, appended to), the index grows a copy of its own: what it parsed is always the
file's prefix it walked, byte for byte, with its frames.
"""
from __future__ import annotations

import os
import random

from omen.ledger.fs_ops import fsync_file
from scenarios.observers import DurableLedgerIndex, SimDiskView
from sim.disk import SimDisk

from tests.scenarios.test_world_facts import frame

SEGMENT = "/ledger/p/segment-000001.log"


def _disk_with_a_segment() -> SimDisk:
    disk = SimDisk(random.Random(1), lambda *args, **kwargs: 0)
    disk.mkdir("/ledger")
    disk.mkdir("/ledger/p")
    _append(disk, frame("A", 1))
    for directory in ("/", "/ledger", "/ledger/p"):
        fsync_file(disk, directory)
    return disk


def _append(disk: SimDisk, data: bytes) -> None:
    fd = disk.open(SEGMENT, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    disk.write(fd, data)
    disk.fsync(fd)
    disk.close(fd)


def _entry(index: DurableLedgerIndex):
    return index._partitions["p"].segments["segment-000001.log"]


def test_a_closed_segment_is_kept_as_the_disks_settled_bytes() -> None:
    disk = _disk_with_a_segment()
    index = DurableLedgerIndex(SimDiskView(disk, durable=True), "/ledger")
    assert index.contains("p", "A")
    assert type(_entry(index).parsed) is bytearray, "a writable segment keeps the index's own bytes"
    disk.chmod(SEGMENT, 0o444)
    assert index.contains("p", "A") and not index.contains("p", "B")
    settled = disk.settled_bytes(SEGMENT)
    assert settled is not None and _entry(index).parsed is settled
    assert index.parsed_frames("p", "segment-000001.log") == (settled, [("A", 1)])


def test_a_settled_segment_that_grows_again_is_grown_as_a_copy_of_the_index_own() -> None:
    disk = _disk_with_a_segment()
    index = DurableLedgerIndex(SimDiskView(disk, durable=True), "/ledger")
    assert index.contains("p", "A")
    disk.chmod(SEGMENT, 0o444)
    assert not index.contains("p", "B")
    settled = _entry(index).parsed
    assert type(settled) is bytes
    disk.chmod(SEGMENT, 0o644)
    _append(disk, frame("B", 2))
    assert index.contains("p", "B")
    parsed, records = index.parsed_frames("p", "segment-000001.log")
    assert type(parsed) is bytearray and parsed == disk.durable_bytes(SEGMENT) == frame("A", 1) + frame("B", 2)
    assert records == [("A", 1), ("B", 2)]
    assert settled == frame("A", 1), "the shared bytes were not changed in place"


def test_a_file_that_is_not_settled_has_no_settled_bytes() -> None:
    disk = _disk_with_a_segment()
    assert disk.settled_bytes(SEGMENT) is None, "writable"
    disk.chmod(SEGMENT, 0o444)
    assert disk.settled_bytes(SEGMENT) == frame("A", 1)
    assert disk.settled_bytes("/ledger/p/missing.log") is None and disk.settled_bytes("/ledger/p") is None
