"""Every descriptor op does `SimDisk._open_file`'s steps, in its order: the op counted, traced with
its name, path, byte count and index, the fault hook asked (op, path, bytes), and only then a bad
descriptor refused with EBADF. Several ops write those steps out in their own frame (one frame
less on the hot path); this holds each copy to the one helper."""
from __future__ import annotations

import errno
import os
import random

import pytest

from sim.disk import SimDisk

PAYLOAD = b"abc"
# (op name as traced and asked, bytes it reports, how to call it on a descriptor)
OPS = [
    ("close", 0, lambda disk, fd: disk.close(fd)),
    ("lseek", 0, lambda disk, fd: disk.lseek(fd, 0, os.SEEK_SET)),
    ("stat", 0, lambda disk, fd: disk.fstat(fd)),
    ("write", len(PAYLOAD), lambda disk, fd: disk.write(fd, PAYLOAD)),
    ("fsync", 0, lambda disk, fd: disk.fsync(fd)),
    ("fdatasync", 0, lambda disk, fd: disk.fdatasync(fd)),
]


class _AskedHook:
    def __init__(self, asked: list) -> None:
        self.asked = asked

    def decide(self, op: str, path: str, nbytes: int):  # noqa: ANN201 - no fault, ever
        self.asked.append(("asked", op, path, nbytes))
        return None


def _disk_with_open_file() -> tuple[SimDisk, int, list]:
    steps: list = []
    disk = SimDisk(random.Random(0), lambda node, kind, **fields: steps.append((kind, fields)), trace_ops=True)
    fd = disk.open("/f", os.O_RDWR | os.O_CREAT, 0o644)
    disk.fault_hook = _AskedHook(steps)
    steps.clear()
    return disk, fd, steps


@pytest.mark.parametrize("name, nbytes, call", OPS, ids=[op[0] for op in OPS])
@pytest.mark.parametrize("descriptor", ["open", "bad"])
def test_a_descriptor_op_counts_traces_and_asks_as_open_file_does(name, nbytes, call, descriptor) -> None:
    inline, fd, inline_steps = _disk_with_open_file()
    helper, helper_fd, helper_steps = _disk_with_open_file()
    assert fd == helper_fd
    if descriptor == "bad":
        fd = 99
        with pytest.raises(OSError) as inline_error:
            call(inline, fd)
        with pytest.raises(OSError) as helper_error:
            helper._open_file(fd, name, nbytes)
        assert inline_error.value.errno == helper_error.value.errno == errno.EBADF
    else:
        call(inline, fd)
        helper._open_file(fd, name, nbytes)
    path = "/f" if descriptor == "open" else ""
    assert helper_steps[:2] == [("disk.op", {"op": name, "path": path, "nbytes": nbytes, "op_index": helper.op_count}),
                                ("asked", name, path, nbytes)]
    assert inline_steps[:2] == helper_steps[:2]
    assert inline.op_count == helper.op_count
