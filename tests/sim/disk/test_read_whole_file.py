"""The fused whole-file read must be the five calls it stands for, or nothing at all.

`SimDisk.read_whole_file` (and the shared volume's, hook off) answers what `open`, `fstat`,
`lseek`, `read` and `close` answer for a whole-file read, with their effects: the op count, the
descriptor taken and freed, the snapshot handed out. Where any of the five could fail, ask a hook
or trace, it must do nothing and say so (None), so the caller makes the five calls. Over any
history of writes, truncates, rot, renames, re-creations, mode changes, crashes and descriptors
kept open, and any path (missing, a directory, a trailing slash, not normalized), the fused read
and the five calls on a clone of the same disk give the same answer or error and leave the same
disk behind (`omen.ledger.fs_ops.read_file_and_mode` with and without the fused op).
"""
from __future__ import annotations

import os
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from omen.ledger.fs_ops import READ_CHUNK_BYTES, fsync_dir, read_file, read_file_and_mode, whole_file_op
from scenarios.shared_volume import SharedVolume
from sim.disk import SimDisk

from tests.sim.disk.test_visible_version import apply_file_op

LOOK_PATHS = ("/d/a", "/d/b", "/d/c", "/d/missing", "/d/a/", "/d//b", "d/a", "/x/a", "/d/a/x", "/", "")


def _outcome(fs, path: str, fused: bool) -> object:
    try:
        data, mode = read_file_and_mode(fs, path, whole_file_op(fs) if fused else None)
    except OSError as error:
        return type(error), error.errno
    assert type(data) is bytes
    return data, mode


def _after(disk: SimDisk) -> tuple:
    """What the read leaves behind that a later op can see: the count, the descriptors, the next one."""
    state = (disk.op_count, sorted(disk._free_fds), disk._next_fd, sorted(disk._fds))
    fd = disk.open("/d", os.O_RDONLY)  # the next descriptor handed out
    disk.close(fd)
    return state + (fd,)


def _compare(disk: SimDisk, path: str, volume: bool) -> None:
    twin = disk.clone()
    fused = _outcome(SharedVolume(disk) if volume else disk, path, True)
    plain = _outcome(SharedVolume(twin) if volume else twin, path, False)
    assert fused == plain, path
    assert _after(disk) == _after(twin), path


OPS = st.lists(st.tuples(
    st.sampled_from(["write", "append", "truncate", "flip", "rename", "recreate", "fsync", "crash",
                     "chmod", "keep_open", "close_kept", "look", "look", "look"]),
    st.sampled_from(("/d/a", "/d/b")), st.integers(0, 12), st.binary(min_size=1, max_size=4),
    st.sampled_from(LOOK_PATHS)),
    max_size=30)


@settings(max_examples=300, deadline=None)
@given(OPS, st.booleans(), st.booleans())
def test_the_fused_read_is_the_five_calls(ops: list, root_user: bool, volume: bool) -> None:
    disk = SimDisk(random.Random(3), root_user=root_user)
    disk.mkdir("/d")
    disk.mkdir("/d/c")
    fsync_dir(disk, "/")  # "/d" and "/d/c" survive every crash: the history is about the files
    fsync_dir(disk, "/d")
    fds: dict[str, int] = {}
    kept: list[int] = []
    for op, path, number, payload, look_path in ops:
        if op == "look":
            _compare(disk, look_path, volume)
        elif op == "chmod" and disk.visible_size(path) is not None:
            disk.chmod(path, (0o644, 0o200, 0o444, 0)[number % 4])
        elif op == "keep_open" and disk.visible_size(path) is not None and disk.visible_inode(path) is not None:
            try:
                kept.append(disk.open(path, os.O_RDONLY))
            except PermissionError:
                pass
        elif op == "close_kept" and kept:
            disk.close(kept.pop(number % len(kept)))
        elif op == "crash":
            disk.crash()
            fds.clear()
            kept.clear()
        else:
            apply_file_op(disk, fds, op, path, number, payload)
    for look_path in LOOK_PATHS:
        _compare(disk, look_path, volume)


def _disk_with_file() -> SimDisk:
    disk = SimDisk(random.Random(0))
    disk.makedirs("/d")
    fd = disk.open("/d/a", os.O_WRONLY | os.O_CREAT, 0o644)
    disk.write(fd, b"segment bytes")
    disk.close(fd)
    read_file(disk, "/d/a")  # the path is known to the disk's memos: the fused read may answer
    return disk


class _AskedHook:
    def __init__(self) -> None:
        self.asked: list[str] = []

    def decide(self, op: str, path: str, nbytes: int) -> None:
        self.asked.append(op)


def test_it_answers_in_one_call_what_a_reader_reads() -> None:
    disk = _disk_with_file()
    before = disk.op_count
    assert disk.read_whole_file("/d/a", READ_CHUNK_BYTES) == (b"segment bytes", disk.stat("/d/a").st_mode)
    assert disk.op_count == before + 5 + 1  # the five, and the stat above
    assert disk.read_whole_file("/d/a", 13) is None  # a read the caller makes in chunks: its own


@pytest.mark.parametrize("setting", ["hook", "trace"])
def test_with_a_hook_or_a_trace_it_does_nothing_and_the_five_calls_ask_and_trace(setting: str) -> None:
    disk = _disk_with_file()
    events: list[str] = []
    hook = _AskedHook()
    if setting == "hook":
        disk.fault_hook = hook
    else:
        disk.record = lambda node, kind, **fields: events.append(fields["op"])
        disk.trace_ops = True
    before = disk.op_count
    assert disk.read_whole_file("/d/a", READ_CHUNK_BYTES) is None and disk.op_count == before
    assert read_file(disk, "/d/a") == b"segment bytes"
    assert (hook.asked if setting == "hook" else events) == ["open", "stat", "lseek", "read", "close"]


def test_the_volume_keeps_the_hook_out_and_puts_it_back() -> None:
    disk = _disk_with_file()
    hook = _AskedHook()
    disk.fault_hook = hook
    before = disk.op_count
    assert read_file_and_mode(SharedVolume(disk), "/d/a", whole_file_op(SharedVolume(disk)))[0] == b"segment bytes"
    assert disk.op_count == before + 5 and hook.asked == [] and disk.fault_hook is hook


def test_a_forwarding_wrapper_gets_no_fused_read() -> None:
    """A wrapper that forwards attributes sees each of the five calls (the op is found on the type)."""

    class Forwarding:
        def __init__(self, disk: SimDisk) -> None:
            self.calls: list[str] = []
            self._disk = disk

        def __getattr__(self, name: str):
            self.calls.append(name)
            return getattr(self._disk, name)

    wrapper = Forwarding(_disk_with_file())
    assert whole_file_op(wrapper) is None and whole_file_op(os) is None
    assert read_file(wrapper, "/d/a") == b"segment bytes"
    assert wrapper.calls == ["open", "fstat", "lseek", "read", "close"]
