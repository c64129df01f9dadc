"""The durable index re-reads a segment whose durable bytes changed without growing.

Found by the CI sweep (`rollover_sequence` seed 98, `chaos` seed 58) once the world looked more
often: a rollback truncated a segment and a later record of the same length took its place, the
size was unchanged, and the index answered from the ids of the record that was gone.
"""
from __future__ import annotations

import os
import random

from scenarios.observers import DurableLedgerIndex, SimDiskView
from sim.disk import SimDisk

from tests.scenarios.test_world_facts import frame


def test_a_same_size_rewrite_after_a_truncate_is_parsed_again() -> None:
    disk = SimDisk(random.Random(1), lambda *args, **kwargs: 0)
    for directory in ("/ledger", "/ledger/p"):
        disk.mkdir(directory)
    fd = disk.open("/ledger/p/segment-000001.log", os.O_WRONLY | os.O_CREAT, 0o644)
    for directory in ("/", "/ledger", "/ledger/p"):
        dir_fd = disk.open(directory, os.O_RDONLY)
        disk.fsync(dir_fd)
        disk.close(dir_fd)
    disk.write(fd, frame("A", 1))
    disk.fsync(fd)
    index = DurableLedgerIndex(SimDiskView(disk, durable=True), "/ledger")
    assert index.contains("p", "A")
    disk.ftruncate(fd, 0)
    disk.lseek(fd, 0, os.SEEK_SET)
    disk.write(fd, frame("B", 1))  # the same length as A's frame
    disk.fsync(fd)
    assert index.contains("p", "B") and not index.contains("p", "A")
