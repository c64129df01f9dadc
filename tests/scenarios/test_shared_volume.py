"""The reconciler's shared volume: every read-only op runs on the disk with its fault hook off.

The ops a segment read makes (open, fstat, lseek, read, close) are methods of their own, the rest
go through the general path; both must do exactly what calling the disk with no hook does (the same
answers, the same op count, the same trace), never ask OMEN's hook, and put the hook back after
each call, also when the call raises.
"""
from __future__ import annotations

import errno
import os
import random

import pytest

from scenarios.shared_volume import READ_ONLY_OPS, SharedVolume
from sim.disk import SimDisk

PATH = "/ledger/p/segment-000001.log"


class AskedHook:
    """A fault hook that records every question and never decides a fault."""

    def __init__(self) -> None:
        self.asked: list[tuple[str, str, int]] = []

    def decide(self, op: str, path: str, nbytes: int) -> None:
        self.asked.append((op, path, nbytes))


def _disk() -> tuple[SimDisk, list[tuple]]:
    events: list[tuple] = []

    def record(node: str, kind: str, **fields: object) -> int:
        events.append((node, kind, tuple(sorted(fields.items()))))
        return len(events)

    disk = SimDisk(random.Random(0), record, trace_ops=True)
    disk.makedirs("/ledger/p")
    fd = disk.open(PATH, os.O_WRONLY | os.O_CREAT, 0o644)
    disk.write(fd, b"segment bytes")
    disk.close(fd)
    return disk, events


def _segment_read(fs) -> list[object]:
    """What the reader does with a segment, plus the general path's stat and listdir."""
    fd = fs.open(PATH, os.O_RDONLY)
    answers: list[object] = [fd, tuple(fs.fstat(fd)), fs.lseek(fd, 0, os.SEEK_SET), fs.read(fd, 100),
                             fs.lseek(fd, 3, os.SEEK_SET), fs.read(fd, 4), fs.close(fd)]
    answers += [tuple(fs.stat(PATH)), fs.listdir("/ledger/p")]
    return answers


def test_the_volume_answers_and_counts_as_the_disk_with_no_hook_and_never_asks_the_hook() -> None:
    plain, plain_events = _disk()
    expected = _segment_read(plain)
    disk, events = _disk()
    hook = AskedHook()
    disk.fault_hook = hook
    assert _segment_read(SharedVolume(disk)) == expected
    assert disk.op_count == plain.op_count and events == plain_events
    assert hook.asked == [] and disk.fault_hook is hook


@pytest.mark.parametrize("op, args", [
    ("fstat", (99,)), ("lseek", (99, 0, os.SEEK_SET)), ("read", (99, 1)), ("close", (99,)),
    ("open", ("/ledger/p/missing", os.O_RDONLY)), ("stat", ("/missing",)), ("listdir", ("/missing",))])
def test_the_hook_is_back_after_a_call_that_raises(op: str, args: tuple) -> None:
    assert op in READ_ONLY_OPS
    disk, _ = _disk()
    hook = AskedHook()
    disk.fault_hook = hook
    with pytest.raises(OSError) as raised:
        getattr(SharedVolume(disk), op)(*args)
    assert raised.value.errno in (errno.EBADF, errno.ENOENT)
    assert disk.fault_hook is hook and hook.asked == []


def test_the_hook_is_off_while_the_op_runs_and_not_after() -> None:
    disk, _ = _disk()
    hook = AskedHook()
    disk.fault_hook = hook
    volume = SharedVolume(disk)
    fd = volume.open(PATH, os.O_RDONLY)
    volume.read(fd, 1)
    disk.read(fd, 1)  # OMEN's own op, after the volume's: asked
    volume.close(fd)
    assert hook.asked == [("read", PATH, 1)]


def test_a_write_flag_is_refused_before_the_disk_sees_the_open() -> None:
    disk, _ = _disk()
    before = disk.op_count
    for flags in (os.O_WRONLY, os.O_RDWR, os.O_RDONLY | os.O_CREAT, os.O_RDONLY | os.O_TRUNC, os.O_RDONLY | os.O_APPEND):
        with pytest.raises(PermissionError):
            SharedVolume(disk).open(PATH, flags)
    assert disk.op_count == before
