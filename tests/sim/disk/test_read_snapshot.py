"""A whole-file read hands out the file's snapshot: it must always be the bytes reads see now.

(And the durable side: `durable_bytes` from offset 0 and `durable_files` hand out the file's
durable snapshot, which must always be its durable bytes.)

`FileNode.visible_snapshot` keeps one immutable copy of a file's visible bytes and hands it out
again while the bytes are unchanged (`read` of a whole file from offset 0, `visible_bytes`,
`visible_files`). The slow path it replaces copied the bytes at every look; `pread`, which still
copies, is the reference. Over any history of writes, truncates, rot, renames, re-creations,
crashes, clones and installed crash states, every fast answer equals the copy.
"""
from __future__ import annotations

import os
import random

from hypothesis import given, settings
from hypothesis import strategies as st

from omen.ledger.fs_ops import fsync_dir
from sim.disk import SimDisk

from tests.sim.disk.test_visible_version import apply_file_op

PATHS = ("/d/a", "/d/b")


def _reference(disk: SimDisk, path: str) -> bytes | None:
    """The bytes reads see at `path`, copied (pread at 0 of the whole size), or None."""
    size = disk.visible_size(path)
    if size is None:
        return None
    fd = disk.open(path, os.O_RDONLY)
    try:
        return disk.pread(fd, size + 1, 0)
    finally:
        disk.close(fd)


def _whole_read(disk: SimDisk, path: str, extra_bytes: int) -> bytes:
    """What a reader's open, fstat, lseek, read (of the size or more), close gets."""
    fd = disk.open(path, os.O_RDONLY)
    try:
        size = disk.fstat(fd).st_size
        disk.lseek(fd, 0, os.SEEK_SET)
        return disk.read(fd, size + extra_bytes)
    finally:
        disk.close(fd)


def _partial_read(disk: SimDisk, path: str, size: int) -> bytes:
    """A read from offset 0 that stops short of the end (never the snapshot)."""
    fd = disk.open(path, os.O_RDONLY)
    try:
        return disk.read(fd, size - 1)
    finally:
        disk.close(fd)


# Which look comes first after a change: each of them must see the change, not a snapshot of before.
LOOKS = ("none", "read", "bytes", "files", "partial")


def _durable_reference(disk: SimDisk, path: str) -> bytes | None:
    """The durable bytes at `path`, copied from the inode (never its snapshot), or None."""
    node = disk._durable_node(path)
    return None if node is None else bytes(node.durable)


def _check(disk: SimDisk, first: str, extra_bytes: int) -> None:
    expected = {path: _reference(disk, path) for path in PATHS}  # copies: never touch a snapshot
    durable = {path: _durable_reference(disk, path) for path in PATHS}
    if first in ("bytes", "files"):  # the durable looks first too, in either order
        assert {path: disk.durable_bytes(path) for path in PATHS} == durable
    assert {path: disk.durable_bytes(path, 1) for path in PATHS} == {
        path: None if data is None else data[1:] for path, data in durable.items()}
    durable_files = disk.durable_files()
    assert {path: durable_files.get(path) for path in PATHS} == durable
    assert {path: disk.durable_bytes(path) for path in PATHS} == durable
    assert {path: disk.durable_bytes(path, 1) for path in PATHS} == {
        path: None if data is None else data[1:] for path, data in durable.items()}
    order = (first,) + tuple(look for look in LOOKS[1:] if look != first)
    for look in order:
        if look == "files":
            files = disk.visible_files()
            assert {path: files.get(path) for path in PATHS} == expected
            continue
        for path in PATHS:
            if look == "bytes":
                assert disk.visible_bytes(path) == expected[path]
            elif expected[path] is not None and look == "read":
                got = _whole_read(disk, path, extra_bytes)
                assert type(got) is bytes and got == expected[path]
            elif expected[path] and look == "partial":
                assert _partial_read(disk, path, len(expected[path])) == expected[path][:-1]


OPS = st.lists(st.tuples(
    st.sampled_from(["write", "append", "truncate", "flip", "rename", "recreate", "fsync", "fsync_dir", "crash",
                     "clone", "state"]),
    st.sampled_from(PATHS), st.integers(0, 12), st.binary(min_size=1, max_size=4),
    st.sampled_from(LOOKS + ("none",) * 4)),  # often several changes between two looks
    max_size=30)


@settings(max_examples=300, deadline=None)
@given(OPS, st.integers(0, 3))
def test_every_whole_read_is_the_bytes_reads_see(ops: list, extra_bytes: int) -> None:
    disk = SimDisk(random.Random(7))
    disk.mkdir("/d")
    fsync_dir(disk, "/")  # "/d" survives every crash: the history is about the files in it
    fds: dict[str, int] = {}
    for op, path, number, payload, look in ops:
        if op == "fsync_dir":  # the files' entries durable: their durable bytes count from now
            fsync_dir(disk, "/d")
        elif op == "clone":
            # the copy shares the original's snapshots: both must go on answering their own bytes
            original, disk = disk, disk.clone()
            if look != "none":
                _check(original, look, extra_bytes)
        elif op == "state":
            states = disk.crash_states()
            disk = disk.clone_in_state(states[number % len(states)])
            fds.clear()
        else:
            apply_file_op(disk, fds, op, path, number, payload)
        if look != "none":  # changes with no look between them must show as well
            _check(disk, look, extra_bytes)
    _check(disk, "read", extra_bytes)


def test_an_unchanged_file_is_read_without_a_copy_and_a_changed_one_is_read_again() -> None:
    disk = SimDisk(random.Random(1))
    disk.mkdir("/d")
    fd = disk.open("/d/a", os.O_RDWR | os.O_CREAT, 0o644)
    disk.write(fd, b"abcdef")
    first = _whole_read(disk, "/d/a", 0)
    assert _whole_read(disk, "/d/a", 0) is first and disk.visible_bytes("/d/a") is first
    disk.lseek(fd, 1, os.SEEK_SET)
    disk.write(fd, b"X")  # same length, rewritten
    assert _whole_read(disk, "/d/a", 0) == b"aXcdef"
    disk.write(fd, b"Y")
    assert disk.visible_bytes("/d/a") == b"aXYdef"


def test_a_clone_of_a_file_rewritten_since_its_last_look_reads_the_new_bytes() -> None:
    disk = SimDisk(random.Random(1))
    disk.mkdir("/d")
    fd = disk.open("/d/a", os.O_RDWR | os.O_CREAT, 0o644)
    disk.write(fd, b"abcdef")
    assert disk.visible_bytes("/d/a") == b"abcdef"
    disk.lseek(fd, 0, os.SEEK_SET)
    disk.write(fd, b"X")  # the snapshot is now stale, and nobody looked
    twin = disk.clone()
    assert _whole_read(twin, "/d/a", 0) == b"Xbcdef" == disk.visible_bytes("/d/a")


def test_a_clone_of_a_file_rotted_since_its_last_durable_look_reads_the_rotten_bytes() -> None:
    disk = SimDisk(random.Random(1))
    disk.mkdir("/d")
    fd = disk.open("/d/a", os.O_RDWR | os.O_CREAT, 0o644)
    disk.write(fd, b"abcdef")
    disk.fsync(fd)
    for directory in ("/", "/d"):
        dir_fd = disk.open(directory, os.O_RDONLY)
        disk.fsync(dir_fd)
        disk.close(dir_fd)
    assert disk.durable_bytes("/d/a") == b"abcdef"
    disk.flip_bit("/d/a", 0)  # the durable snapshot is now stale, and nobody looked
    twin = disk.clone()
    assert twin.durable_bytes("/d/a") == b"`bcdef" == disk.durable_bytes("/d/a")
    assert twin.durable_files()["/d/a"] == b"`bcdef"
