"""A read-only file, once read, holds one immutable copy of its bytes for both its versions.

`FileNode._settle`: a file with no write bit, nothing pending and the same visible and durable
bytes keeps a single `bytes` object as its visible bytes, its durable bytes and both snapshots
(a long run's closed segments held every byte four times). What must not change is what the disk
does: a descriptor opened for writing before the `chmod`, a writable reopen by root, an fsync, a
truncate and a crash all behave as on a file that was never settled. The reference here is a model
of the two versions kept apart from the disk: the visible bytes, and the durable bytes an fsync
makes of them.
"""
from __future__ import annotations

import os
import random
from unittest import mock

from hypothesis import given, settings
from hypothesis import strategies as st

from omen.ledger.fs_ops import fsync_dir
from sim.disk import SimDisk
from sim.disk.nodes import FileNode

PATH = "/d/a"


def _fresh_disk() -> tuple[SimDisk, int]:
    """A root-user disk (a read-only file can be opened for writing again) with /d/a durable and
    open for reading and writing."""
    disk = SimDisk(random.Random(3), root_user=True)
    disk.mkdir("/d")
    fsync_dir(disk, "/")
    fd = disk.open(PATH, os.O_RDWR | os.O_CREAT, 0o644)
    fsync_dir(disk, "/d")
    return disk, fd


def _written(model: bytearray, pos: int, payload: bytes) -> None:
    if pos > len(model):
        model.extend(bytes(pos - len(model)))
    model[pos:pos + len(payload)] = payload


def test_a_read_only_synced_file_is_held_once_after_a_read() -> None:
    disk, fd = _fresh_disk()
    disk.write(fd, b"frames of a closed segment")
    disk.fsync(fd)
    disk.chmod(PATH, 0o444)
    disk.close(fd)
    node = disk._durable_node(PATH)
    assert type(node.data) is bytearray and type(node.durable) is bytearray
    seen = disk.visible_bytes(PATH)
    assert node.data is node.durable is node.snapshot is node.kept_durable is seen
    assert disk.durable_bytes(PATH) is seen


def test_a_file_with_a_write_bit_pending_bytes_or_two_versions_is_not_settled() -> None:
    disk, fd = _fresh_disk()
    disk.write(fd, b"still written")
    disk.fsync(fd)
    disk.visible_bytes(PATH)
    node = disk._durable_node(PATH)
    assert type(node.data) is bytearray, "a writable file keeps its bytearrays"
    disk.chmod(PATH, 0o444)
    disk.write(fd, b" and more")  # pending: the durable bytes are behind the visible ones
    disk.visible_bytes(PATH)
    disk.durable_bytes(PATH)
    assert type(node.data) is bytearray and type(node.durable) is bytearray


def test_a_descriptor_opened_before_the_chmod_still_appends_and_syncs_after_the_settle() -> None:
    disk, fd = _fresh_disk()
    disk.write(fd, b"abc")
    disk.fsync(fd)
    disk.chmod(PATH, 0o444)
    disk.visible_bytes(PATH)  # settled
    disk.write(fd, b"def")  # the append fast path must not grow the shared bytes in place
    assert disk.visible_bytes(PATH) == b"abcdef"
    assert disk.durable_bytes(PATH) == b"abc"
    disk.fsync(fd)  # nor may the fsync fast path
    assert disk.durable_bytes(PATH) == b"abcdef"
    disk.crash()
    assert disk.visible_bytes(PATH) == b"abcdef"


OPS = st.lists(st.tuples(
    st.sampled_from(["write", "append", "truncate", "fsync", "readonly", "writable", "read", "durable_read",
                     "whole_read", "crash", "reopen"]),
    st.integers(0, 10), st.binary(min_size=1, max_size=4)), max_size=40)


def _history(ops: list) -> list:
    """Run `ops` on a fresh disk; what it showed after each step: the visible and durable bytes (and
    the states a crash may leave, at each crash). Checks the durable bytes against the model of
    them (an fsync makes them the visible bytes; nothing else changes them but a crash)."""
    disk, fd = _fresh_disk()
    visible, durable = bytearray(), bytearray()
    shown: list = []
    for op, number, payload in ops:
        if op == "write":
            disk.lseek(fd, number, os.SEEK_SET)
            disk.write(fd, payload)
            _written(visible, number, payload)
        elif op == "append":
            disk.lseek(fd, 0, os.SEEK_END)
            disk.write(fd, payload)
            _written(visible, len(visible), payload)
        elif op == "truncate":
            disk.ftruncate(fd, number)
            del visible[number:]
            visible.extend(bytes(number - len(visible)))
        elif op == "fsync":
            disk.fsync(fd)
            durable = bytearray(visible)
        elif op == "readonly":
            disk.chmod(PATH, 0o444)
        elif op == "writable":
            disk.chmod(PATH, 0o644)
        elif op == "read":
            assert disk.visible_bytes(PATH) == visible
        elif op == "durable_read":
            assert disk.durable_bytes(PATH) == durable
        elif op == "whole_read":
            assert disk.read_whole_file(PATH, 1 << 20)[0] == visible
        elif op == "crash":
            shown.append(sorted(repr(state) for state in disk.crash_states()))
            disk.crash()  # the same draw on both disks: the same rng, the same history
            visible, durable = bytearray(disk.visible_bytes(PATH)), bytearray(disk.visible_bytes(PATH))
            fd = disk.open(PATH, os.O_RDWR)
        elif op == "reopen":
            disk.close(fd)
            fd = disk.open(PATH, os.O_RDWR)
        node = disk._durable_node(PATH)
        assert bytes(node.data) == visible and bytes(node.durable) == durable, op
        shown.append((bytes(node.data), bytes(node.durable), len(node.pending)))
    return shown


@settings(max_examples=300, deadline=None)
@given(OPS)
def test_settling_changes_nothing_the_disk_does(ops: list) -> None:
    """Over any history of writes, appends, truncates, fsyncs, chmods, reads, crashes and reopens,
    a disk whose files settle shows exactly what one whose files never settle shows."""
    settling = _history(ops)
    with mock.patch.object(FileNode, "_settle", lambda self, copy, other: None):
        never_settled = _history(ops)
    assert settling == never_settled
