"""The OMEN disk as the reconciler sees it: a shared volume, read-only, fault-free.

The reconciler reads the OMEN ledger as over a shared volume (DESIGN.md section 7). Its
reads must not consume OMEN's fault decisions (a planned `disk.crash_at_op` is a power
loss of OMEN's machine, and must be counted against OMEN's operations only), so the
view suspends the disk's fault hook for the duration of each call, and it refuses every
call that could change the disk.
"""
from __future__ import annotations

import errno
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sim.disk import SimDisk

READ_ONLY_OPS = frozenset(
    {"open", "read", "pread", "lseek", "close", "fstat", "stat", "listdir", "scandir", "path"}
)


class SharedVolume:
    def __init__(self, disk: SimDisk) -> None:
        self._disk = disk

    @contextmanager
    def faults_suspended(self) -> Iterator[None]:
        """Observers (checkers, this view) read the disk without consuming fault decisions."""
        saved = self._disk.fault_hook
        self._disk.fault_hook = None
        try:
            yield
        finally:
            self._disk.fault_hook = saved

    def __getattr__(self, name: str) -> Any:
        if name.startswith("O_") or name in {"sep", "SEEK_SET", "SEEK_CUR", "SEEK_END"}:
            return getattr(self._disk, name)
        if name not in READ_ONLY_OPS:
            raise PermissionError(f"the shared ledger volume is read-only for the reconciler: {name}()")
        attribute = getattr(self._disk, name)
        if not callable(attribute):
            return attribute
        disk = self._disk

        def call_without_faults(*args: Any, **kwargs: Any) -> Any:
            saved = disk.fault_hook
            disk.fault_hook = None
            try:
                return attribute(*args, **kwargs)
            finally:
                disk.fault_hook = saved

        return call_without_faults

    def open(self, path: str, flags: int, mode: int = 0o777) -> int:
        if flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND):
            raise PermissionError(errno.EACCES, "the shared ledger volume is read-only for the reconciler", path)
        saved = self._disk.fault_hook
        self._disk.fault_hook = None
        try:
            return self._disk.open(path, flags, mode)
        finally:
            self._disk.fault_hook = saved
