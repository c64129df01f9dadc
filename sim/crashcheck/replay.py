"""Replay a recorded history onto `SimDisk`, op by op, so its crash model can judge it.

The disk starts with the tree the fake file system had when the recording began, all of it
durable (the workload's root "exists and is durable before the workload starts"). Each file is
held open on one descriptor for the whole replay, so a content op reaches the file by identity
even after a rename or an unlink. The replay disk runs as root: every op already succeeded in
pyfakefs, under its own permission checks.
"""
from __future__ import annotations

import os
import random

from sim.crashcheck.errors import RecordingMismatchError, UnsupportedOperationError
from sim.crashcheck.ops import Op
from sim.crashcheck.tree import TREE_ENTRIES_MAX, Tree, disk_tree
from sim.disk import SimDisk

RDWR_NEW = os.O_RDWR | os.O_CREAT | os.O_EXCL


class Replay:
    """A SimDisk that is fed a history one op at a time."""

    def __init__(self, initial: Tree, initial_ids: dict[str, int], profile: str) -> None:
        self.disk = SimDisk(random.Random(0), profile=profile, root_user=True)
        self.disk.umask = 0
        self._fds: dict[int, int] = {}
        disk = self.disk
        for path, mode in initial.dirs:
            if path == "/":
                disk.chmod("/", mode)
            else:
                disk.mkdir(path, mode)
        for path, mode, data in initial.files:
            fd = disk.open(path, RDWR_NEW, mode)
            disk.write(fd, data)
            disk.fsync(fd)
            self._fds[initial_ids[path]] = fd
        self._fsync_every_dir()

    def _fsync_dir(self, path: str) -> None:
        fd = self.disk.open(path, os.O_RDONLY)
        try:
            self.disk.fsync(fd)
        finally:
            self.disk.close(fd)

    def _fsync_every_dir(self) -> None:
        stack = ["/"]
        for _ in range(TREE_ENTRIES_MAX):
            if not stack:
                return
            path = stack.pop()
            self._fsync_dir(path)
            for name in self.disk.listdir(path):
                child = os.path.join(path, name)
                if self.disk.path.isdir(child):
                    stack.append(child)
        raise UnsupportedOperationError(f"more than {TREE_ENTRIES_MAX} directories")

    def _fd(self, op: Op) -> int:
        fd = self._fds.get(op.file_id)
        assert fd is not None, f"op #{op.index} names file#{op.file_id}, which was never created"
        return fd

    def apply(self, op: Op) -> None:
        disk = self.disk
        kind = op.kind
        if kind == "write":
            fd = self._fd(op)
            disk.lseek(fd, op.offset, os.SEEK_SET)
            written = disk.write(fd, op.data)
            assert written == len(op.data), (op.index, written)
        elif kind == "truncate":
            disk.ftruncate(self._fd(op), op.offset)
        elif kind in ("fsync", "fdatasync"):
            disk.fsync(self._fd(op))
        elif kind == "fsync_dir":
            self._fsync_dir(op.path)
        elif kind == "sync":
            for fd in self._fds.values():
                disk.fsync(fd)
            self._fsync_every_dir()
        elif kind == "create":
            self._fds[op.file_id] = disk.open(op.path, RDWR_NEW, op.mode)
        elif kind == "mkdir":
            disk.mkdir(op.path, op.mode)
        elif kind == "unlink":
            disk.unlink(op.path)
        elif kind == "rmdir":
            disk.rmdir(op.path)
        elif kind == "rename":
            disk.replace(op.path, op.path2)
        elif kind == "chmod":
            disk.chmod(op.path, op.mode)
        else:
            assert kind == "ack", kind

    def tree(self) -> Tree:
        return disk_tree(self.disk)


def self_check(initial: Tree, initial_ids: dict[str, int], ops: list[Op], final: Tree, profile: str) -> None:
    """Replaying the whole log must rebuild pyfakefs' final tree byte for byte."""
    replay = Replay(initial, initial_ids, profile)
    for op in ops:
        try:
            replay.apply(op)
        except OSError as error:
            raise RecordingMismatchError(
                f"op #{op.index} ({op.describe()}) failed on replay ({error}): the recording lost an op") from error
    differences = replay.tree().differences(final)
    if differences:
        raise RecordingMismatchError(
            "replaying the recorded log did not rebuild the fake file system's final tree "
            "(a recorder gap: please report it with the workload):\n  " + "\n  ".join(differences))
