"""The file-system port the ledger runs on: the names and semantics of `os`, and nothing more.

WHY a typed port: the writer and reader touch the disk only through `fs`, so the same code runs on
the real disk (`os` itself), the simulated one (`sim.disk.SimDisk`) and the reconciler's
read-only shared volume. These protocols say exactly which calls that is; a test checks `os`,
`SimDisk` and the shared volume against them, and the shared volume derives its list of allowed
calls from `ReadOnlyFileSystem` (so a read op added here is allowed there, a write op refused).

One optional form, not a port op: a type may define `read_whole_file(path, read_max_bytes)`
(`omen.ledger.fs_ops.WHOLE_FILE_OP`), a whole-file read answering (bytes, st_mode) exactly as
open, fstat, lseek, read and close would, with their effects, or None having done nothing.
`os` has none, so the real ledger always makes the five calls; the simulated disk offers it only
when none of the five could fail or be traced (a scrub rereads every segment of the open day and every
sealed day, and the five calls were most of that read). `fs_ops.read_file_and_mode` is its one caller.
"""
from __future__ import annotations

import os
from typing import Protocol, runtime_checkable


@runtime_checkable
class ReadOnlyFileSystem(Protocol):
    """What the reader needs: open (read-only), read, seek, stat and list. Raises OSError like `os`."""

    def open(self, path: str, flags: int, mode: int = 0o777) -> int: ...

    def read(self, fd: int, n: int) -> bytes: ...

    def lseek(self, fd: int, pos: int, how: int) -> int: ...

    def close(self, fd: int) -> None: ...

    def fstat(self, fd: int) -> os.stat_result: ...

    def stat(self, path: str) -> os.stat_result: ...

    def listdir(self, path: str) -> list[str]: ...


@runtime_checkable
class FileSystem(ReadOnlyFileSystem, Protocol):
    """What the writer needs besides: write, fsync, truncate, atomic replace, unlink, mkdir, chmod."""

    def write(self, fd: int, data: bytes) -> int: ...

    def fsync(self, fd: int) -> None: ...

    def ftruncate(self, fd: int, length: int) -> None: ...

    def replace(self, src: str, dst: str) -> None: ...

    def unlink(self, path: str) -> None: ...

    def mkdir(self, path: str, mode: int = 0o777) -> None: ...

    def makedirs(self, name: str, mode: int = 0o777, exist_ok: bool = False) -> None: ...

    def chmod(self, path: str, mode: int) -> None: ...


def _ops(protocol: type, base: type | None = None) -> tuple[str, ...]:
    inherited = set(vars(base)) if base is not None else set()
    return tuple(name for name in vars(protocol) if not name.startswith("_") and name not in inherited)


READ_OPS: tuple[str, ...] = _ops(ReadOnlyFileSystem)
WRITE_OPS: tuple[str, ...] = _ops(FileSystem, ReadOnlyFileSystem)
assert READ_OPS and WRITE_OPS and not set(READ_OPS) & set(WRITE_OPS)

__all__ = ["FileSystem", "READ_OPS", "ReadOnlyFileSystem", "WRITE_OPS"]
