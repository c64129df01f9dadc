"""`SimDisk.visible_state`: two disks with equal keys answer every op of the `os`-like API alike
from then on (what the exhaustive check's shared reads of recovered ledgers rely on,
`scenarios.exhaustive.RecoveredReads`), and its files are `visible_files()`.

Two disks with the same visible history but different durable ones (one fsyncs, the other does
not) must have equal keys and answer any sequence of ops alike; any visible difference (a byte,
a mode, an entry, an inode, an open descriptor) moves the key."""
from __future__ import annotations

import os
import random

from hypothesis import given, settings
from hypothesis import strategies as st

from sim.disk import SimDisk

NAMES = ("a", "b", "c.tmp")
DIRS = ("/d", "/d/e")


def _path(directory: int, name: int) -> str:
    return f"{DIRS[directory]}/{NAMES[name]}"


HISTORY_OPS = st.lists(st.one_of(
    st.tuples(st.just("write"), st.integers(0, 1), st.integers(0, 2), st.binary(max_size=12)),
    st.tuples(st.just("fsync"), st.integers(0, 1), st.integers(0, 2)),
    st.tuples(st.just("fsync_dir"), st.integers(0, 1)),
    st.tuples(st.just("rename"), st.integers(0, 1), st.integers(0, 2), st.integers(0, 1), st.integers(0, 2)),
    st.tuples(st.just("unlink"), st.integers(0, 1), st.integers(0, 2)),
    st.tuples(st.just("chmod"), st.integers(0, 1), st.integers(0, 2), st.sampled_from((0o444, 0o644))),
), max_size=16)

PROBE_OPS = st.lists(st.one_of(
    st.tuples(st.just("read"), st.integers(0, 1), st.integers(0, 2), st.integers(0, 16)),
    st.tuples(st.just("stat"), st.integers(0, 1), st.integers(0, 2)),
    st.tuples(st.just("listdir"), st.integers(0, 1)),
    st.tuples(st.just("append"), st.integers(0, 1), st.integers(0, 2), st.binary(max_size=4)),
    st.tuples(st.just("unlink"), st.integers(0, 1), st.integers(0, 2)),
), max_size=12)


def _apply(disk: SimDisk, op: tuple, *, fsyncs: bool) -> None:
    try:
        kind = op[0]
        if kind == "write":
            fd = disk.open(_path(op[1], op[2]), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
            disk.write(fd, op[3])
            disk.close(fd)
        elif kind in ("fsync", "fsync_dir"):  # the same opens either way: only what is durable differs
            fd = disk.open(_path(op[1], op[2]) if kind == "fsync" else DIRS[op[1]], os.O_RDONLY)
            if fsyncs:
                disk.fsync(fd)
            disk.close(fd)
        elif kind == "rename":
            disk.replace(_path(op[1], op[2]), _path(op[3], op[4]))
        elif kind == "unlink":
            disk.unlink(_path(op[1], op[2]))
        elif kind == "chmod":
            disk.chmod(_path(op[1], op[2]), op[3])
    except OSError:
        pass


def _answers(disk: SimDisk, probes: list[tuple]) -> list:
    answers = []
    for op in probes:
        try:
            kind = op[0]
            if kind == "read":
                fd = disk.open(_path(op[1], op[2]), os.O_RDONLY)
                answers.append((fd, disk.fstat(fd), disk.read(fd, op[3])))
                disk.close(fd)
            elif kind == "stat":
                answers.append(disk.stat(_path(op[1], op[2])))
            elif kind == "listdir":
                answers.append(disk.listdir(DIRS[op[1]]))
            elif kind == "append":
                fd = disk.open(_path(op[1], op[2]), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
                answers.append((fd, disk.write(fd, op[3])))
                disk.close(fd)
            elif kind == "unlink":
                answers.append(disk.unlink(_path(op[1], op[2])))
        except OSError as error:
            answers.append(("error", error.errno))
    return answers


def _disk(history: list[tuple], *, fsyncs: bool) -> SimDisk:
    disk = SimDisk(random.Random(1), profile="ext4-ordered")
    disk.makedirs("/d/e")
    for op in history:
        _apply(disk, op, fsyncs=fsyncs)
    return disk


@settings(max_examples=150, deadline=None)
@given(history=HISTORY_OPS, probes=PROBE_OPS)
def test_equal_keys_answer_alike_whatever_is_durable(history, probes) -> None:
    synced, unsynced = _disk(history, fsyncs=True), _disk(history, fsyncs=False)
    key, files = synced.visible_state()
    assert files == synced.visible_files()
    assert unsynced.visible_state()[0] == key
    assert _answers(synced, probes) == _answers(unsynced, probes)
    assert synced.visible_state()[0] == unsynced.visible_state()[0]


def test_any_visible_difference_moves_the_key() -> None:
    base = _disk([("write", 0, 0, b"abc"), ("write", 1, 1, b"xy")], fsyncs=True)
    key = base.visible_state()[0]
    changed = []
    for change in (
        lambda disk: _apply(disk, ("write", 0, 0, b"d"), fsyncs=True),  # a byte more
        lambda disk: _apply(disk, ("chmod", 0, 0, 0o444), fsyncs=True),  # a mode
        lambda disk: _apply(disk, ("rename", 0, 0, 0, 1), fsyncs=True),  # an entry's name
        lambda disk: disk.mkdir("/f"),  # an entry, and the next inode
        lambda disk: disk.open("/d/a", os.O_RDONLY),  # an open descriptor
    ):
        other = base.clone()
        change(other)
        changed.append(other.visible_state()[0] != key)
    assert changed == [True] * 5
    same_bytes_new_inode = base.clone()
    _apply(same_bytes_new_inode, ("unlink", 0, 0), fsyncs=True)
    _apply(same_bytes_new_inode, ("write", 0, 0, b"abc"), fsyncs=True)
    assert same_bytes_new_inode.visible_files() == base.visible_files()
    assert same_bytes_new_inode.visible_state()[0] != key  # stat shows the inode
