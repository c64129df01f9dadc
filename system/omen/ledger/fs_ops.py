"""The few composite file operations the ledger needs, written once against the `fs` port.

Every function takes `fs` (an object with the names and semantics of `os`) and touches the
disk only through it, so the same code runs on a real disk and on the simulated one. They
raise OSError as the port does; the writer turns that into LedgerWriteError.
"""
from __future__ import annotations

import errno
import os
from collections.abc import Callable

from omen.ledger.fs_port import FileSystem, ReadOnlyFileSystem
from omen.ledger.layout import FILE_MODE_NEW, TEMP_SUFFIX, joined

# The name of the optional fused read of a whole file an fs type may define (see `whole_file_op`).
WHOLE_FILE_OP = "read_whole_file"
# One read covers a whole segment of the default size (64 MiB): a single chunk needs no join (a copy).
READ_CHUNK_BYTES = 64 * 1024 * 1024


def write_all(fs: FileSystem, fd: int, data: bytes) -> None:
    """Write every byte: the port may return short counts, so loop (bounded by the byte count).

    The first write passes `data` itself (the usual write is whole: no view, no copy of it by
    the port); only a short count takes the rest through a memoryview."""
    size_bytes = len(data)
    if size_bytes == 0:
        return
    n = fs.write(fd, data)
    if n == size_bytes:
        return
    view = memoryview(data)
    written = 0
    for _ in range(size_bytes):
        if n <= 0:
            raise OSError(errno.EIO, f"write made no progress ({written} of {size_bytes} bytes written)")
        written += n
        if written == size_bytes:
            return
        n = fs.write(fd, view[written:])
    raise AssertionError("write_all: loop bound exceeded")


def read_all(fs: ReadOnlyFileSystem, fd: int, size_bytes: int) -> bytes:
    """Read `size_bytes` from offset 0 (bounded; a short file ends the read).

    lseek + read rather than pread: every `os`-like port we run on has those two.
    """
    fs.lseek(fd, 0, os.SEEK_SET)
    if size_bytes <= 0:
        return b""
    # the usual read: one chunk, whole (no list, no join); a short one goes on with the loop below
    chunk = fs.read(fd, size_bytes if size_bytes < READ_CHUNK_BYTES else READ_CHUNK_BYTES)
    if len(chunk) == size_bytes or not chunk:
        return chunk
    chunks: list[bytes] = [chunk]
    offset = len(chunk)
    for _ in range(size_bytes // READ_CHUNK_BYTES + 1):  # with the read above, at most the old bound's reads
        if offset >= size_bytes:
            break
        chunk = fs.read(fd, min(READ_CHUNK_BYTES, size_bytes - offset))
        if not chunk:
            break
        chunks.append(chunk)
        offset += len(chunk)
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def read_file(fs: ReadOnlyFileSystem, path: str) -> bytes:
    """Whole content of a file (raises FileNotFoundError when it is absent)."""
    return read_file_and_mode(fs, path, whole_file_op(fs))[0]


def whole_file_op(fs: object) -> Callable[[str, int], tuple[bytes, int] | None] | None:
    """The fs's fused read of a whole file, `fs.read_whole_file(path, read_max_bytes)`, or None when
    its type offers none (`os` does not; the simulated disk and the shared volume do).

    The fused op answers, as (bytes, st_mode), what `read_file_and_mode`'s five calls would
    answer, with the same effects, or None having done nothing (then the five calls are made).
    Its presence is asked of the type, never of the object: a wrapper that forwards attributes to
    a disk (`__getattr__`) must see each of the five calls it wraps, not one it does not know."""
    if getattr(type(fs), WHOLE_FILE_OP, None) is None:
        return None
    found = getattr(fs, WHOLE_FILE_OP)
    return found if callable(found) else None


def read_file_and_mode(fs: ReadOnlyFileSystem, path: str,
                       fused: Callable[..., tuple[bytes, int] | None] | None) -> tuple[bytes, int]:
    """(whole content, st_mode) of the file at `path`: open, fstat, read whole, close, in that order.

    `fused` is `whole_file_op(fs)` (a reader looks it up once, not per file)."""
    if fused is not None:
        found = fused(path, READ_CHUNK_BYTES)
        if found is not None:
            return found
    fd = fs.open(path, os.O_RDONLY)
    try:
        stat = fs.fstat(fd)
        data = read_all(fs, fd, stat.st_size)
    finally:
        fs.close(fd)
    return data, stat.st_mode


def fsync_dir(fs: FileSystem, path: str) -> None:
    """Make a directory's entries durable, the POSIX way."""
    fd = fs.open(path, os.O_RDONLY)
    try:
        fs.fsync(fd)
    finally:
        fs.close(fd)


def fsync_file(fs: FileSystem, path: str) -> None:
    fd = fs.open(path, os.O_RDONLY)
    try:
        fs.fsync(fd)
    finally:
        fs.close(fd)


def replace_atomically(fs: FileSystem, directory: str, name: str, data: bytes) -> None:
    """Replace `directory/name` with `data` so a crash leaves the old or the new file, whole.

    temp written, temp fsynced, replace, directory fsynced.
    """
    temp_path = joined(directory, name + TEMP_SUFFIX)
    fd = fs.open(temp_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE_NEW)
    try:
        write_all(fs, fd, data)
        fs.fsync(fd)
    finally:
        fs.close(fd)
    fs.replace(temp_path, joined(directory, name))
    fsync_dir(fs, directory)


def exists(fs: ReadOnlyFileSystem, path: str) -> bool:
    try:
        fs.stat(path)
    except FileNotFoundError:
        return False
    return True


__all__ = ["WHOLE_FILE_OP", "exists", "fsync_dir", "fsync_file", "read_all", "read_file", "read_file_and_mode",
           "replace_atomically", "whole_file_op", "write_all"]
