"""The OMEN disk as the reconciler sees it: a shared volume, read-only, fault-free.

The reconciler reads the OMEN ledger as over a shared volume (docs/architecture.md). Its
reads must not consume OMEN's fault decisions (a planned `disk.crash_at_op` is a power
loss of OMEN's machine, and must be counted against OMEN's operations only), so the
view suspends the disk's fault hook for the duration of each call, and it refuses every
call that could change the disk: the calls it allows are exactly the ledger's read-only port,
`omen.ledger.fs_port.ReadOnlyFileSystem`.
"""
from __future__ import annotations

import errno
import os
from collections.abc import Callable
from typing import Any

from omen.ledger.fs_ops import WHOLE_FILE_OP
from omen.ledger.fs_port import READ_OPS
from sim.disk import SimDisk

READ_ONLY_OPS = frozenset(READ_OPS)
OS_CONSTANTS = frozenset({"sep", "SEEK_SET", "SEEK_CUR", "SEEK_END"})
WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND


def _without_faults(disk: SimDisk, operation: Any, *args: Any, **kwargs: Any) -> Any:
    """`operation(*args, **kwargs)` with the disk's fault hook off. A plain call, not a context
    manager: reconcile reads every segment at every pass through here."""
    saved = disk.fault_hook
    disk.fault_hook = None
    try:
        return operation(*args, **kwargs)
    finally:
        disk.fault_hook = saved


class SharedVolume:
    def __init__(self, disk: SimDisk) -> None:
        self._disk = disk

    def __getattr__(self, name: str) -> Any:
        if name.startswith("O_") or name in OS_CONSTANTS:
            return getattr(self._disk, name)
        if name not in READ_ONLY_OPS:
            raise PermissionError(f"the shared ledger volume is read-only for the reconciler: {name}()")
        disk = self._disk
        operation = getattr(disk, name)

        def call_without_faults(*args: Any, **kwargs: Any) -> Any:
            return _without_faults(disk, operation, *args, **kwargs)

        setattr(self, name, call_without_faults)  # made once per op name, then found without __getattr__
        return call_without_faults

    # The ops a segment read makes (open, fstat, lseek, read, close: reconcile reads every segment
    # at every pass), each its own method: `_without_faults` in one frame with no argument packing
    # (the general path cost a closure frame, a `_without_faults` frame and *args/**kwargs at
    # each). Same hook off, same call, same hook back afterwards, whatever the call raises.

    def open(self, path: str, flags: int, mode: int = 0o777) -> int:
        if flags & WRITE_FLAGS:
            raise PermissionError(errno.EACCES, "the shared ledger volume is read-only for the reconciler", path)
        disk = self._disk
        saved = disk.fault_hook
        disk.fault_hook = None
        try:
            return disk.open(path, flags, mode)
        finally:
            disk.fault_hook = saved

    def fstat(self, fd: int) -> os.stat_result:
        disk = self._disk
        saved = disk.fault_hook
        disk.fault_hook = None
        try:
            return disk.fstat(fd)
        finally:
            disk.fault_hook = saved

    def lseek(self, fd: int, pos: int, how: int) -> int:
        disk = self._disk
        saved = disk.fault_hook
        disk.fault_hook = None
        try:
            return disk.lseek(fd, pos, how)
        finally:
            disk.fault_hook = saved

    def read(self, fd: int, n: int) -> bytes:
        disk = self._disk
        saved = disk.fault_hook
        disk.fault_hook = None
        try:
            return disk.read(fd, n)
        finally:
            disk.fault_hook = saved

    def close(self, fd: int) -> None:
        disk = self._disk
        saved = disk.fault_hook
        disk.fault_hook = None
        try:
            return disk.close(fd)
        finally:
            disk.fault_hook = saved

    @property
    def read_whole_file(self) -> Callable[[str, int], tuple[bytes, int] | None]:
        """`SimDisk.read_whole_file` as the five calls it stands for see the disk through this
        volume, hook off: the reader's read of a segment (open, fstat, lseek, read, close) in one
        call, or None (nothing done) for the caller to make the five itself, through the methods
        above. The disk's own bound method (`read_whole_file_hook_off`), handed out once per reader
        (`omen.ledger.fs_ops.whole_file_op`): no frame here, no hook to set and put back. Not a
        port op: an optional form of five of them."""
        return self._disk.read_whole_file_hook_off


# every op the class answers itself is a read-only op (the rest come through `__getattr__`), or
# the fused whole-file read, which only reads
assert {name for name in vars(SharedVolume) if not name.startswith("_")} <= READ_ONLY_OPS | {WHOLE_FILE_OP}
