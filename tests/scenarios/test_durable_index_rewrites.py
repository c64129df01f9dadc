"""The durable index re-reads a segment whose durable bytes changed without growing.

Found by the CI sweep (`rollover_sequence` seed 98, `chaos` seed 58) once the world looked more
often: a rollback truncated a segment and a later record of the same length took its place, the
size was unchanged, and the index answered from the ids of the record that was gone. The second
case is the kept-prefix path: frames parsed before a rewrite are kept, what follows is parsed again.
"""
from __future__ import annotations

import os
import random

from omen.ledger.fs_ops import fsync_dir
from scenarios.observers import DurableLedgerIndex, SimDiskView
from sim.disk import SimDisk

from tests.scenarios.test_world_facts import frame


def _a_durable_empty_segment() -> tuple[SimDisk, int]:
    """A disk whose /ledger/p/segment-000001.log exists, durably named, and a write fd on it."""
    disk = SimDisk(random.Random(1), lambda *args, **kwargs: 0)
    disk.makedirs("/ledger/p")
    fd = disk.open("/ledger/p/segment-000001.log", os.O_WRONLY | os.O_CREAT, 0o644)
    for directory in ("/", "/ledger", "/ledger/p"):
        fsync_dir(disk, directory)
    return disk, fd


def test_a_same_size_rewrite_after_a_truncate_is_parsed_again() -> None:
    disk, fd = _a_durable_empty_segment()
    disk.write(fd, frame("A", 1))
    disk.fsync(fd)
    index = DurableLedgerIndex(SimDiskView(disk, durable=True), "/ledger")
    assert index.contains("p", "A")
    disk.ftruncate(fd, 0)
    disk.lseek(fd, 0, os.SEEK_SET)
    disk.write(fd, frame("B", 1))  # the same length as A's frame
    disk.fsync(fd)
    assert index.contains("p", "B") and not index.contains("p", "A")


def test_a_torn_tail_rewritten_whole_at_the_same_size_is_parsed_past_the_kept_frames() -> None:
    """A segment ends in a torn frame; the writer then rewrites that tail in place with a whole
    frame of exactly the torn bytes' length (the size does not change, the version does). The
    index keeps the frames it parsed (the file still begins with them) and must parse what follows
    them again: the new frame's record is durable now."""
    disk, fd = _a_durable_empty_segment()
    whole = frame("C", 3)
    torn = frame("B", 123_456_789)[: len(whole)]  # a longer frame cut at the new frame's length
    disk.write(fd, frame("A", 1) + torn)
    disk.fsync(fd)
    index = DurableLedgerIndex(SimDiskView(disk, durable=True), "/ledger")
    assert index.contains("p", "A") and not index.contains("p", "B") and not index.contains("p", "C")
    size_bytes = disk.durable_size("/ledger/p/segment-000001.log")
    disk.lseek(fd, len(frame("A", 1)), os.SEEK_SET)
    disk.write(fd, whole)  # over the torn bytes, in place: the size stays
    disk.fsync(fd)
    assert disk.durable_size("/ledger/p/segment-000001.log") == size_bytes
    assert index.contains("p", "A") and index.contains("p", "C") and not index.contains("p", "B")
