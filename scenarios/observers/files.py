"""What an observer reads: a directory listing and file bytes, from any disk.

WHY a two-method view: the same observers judge the simulated disk and a real one (real OS
processes writing real files). Both answer "which names are in this directory" and "which bytes
does this file hold"; nothing else about a disk reaches an observer. Three views:

- `SimDiskView`: the simulated disk, either what reads see now or what survives a power loss
  (`durable=True`); it never consumes a fault decision (the hook is suspended while it reads).
- `OsFiles`: real files through `os`, names sorted (the real order is arbitrary).
- `MappingFiles`: a `dict[path, bytes]` snapshot (a test's fixture, or a disk copied once).
"""
from __future__ import annotations

import os
import posixpath
from collections.abc import Mapping
from typing import Any, Protocol, runtime_checkable


@runtime_checkable
class FileView(Protocol):
    """Read-only: `listdir` raises OSError for a missing directory, `read_bytes` gives None for a missing file.

    `read_bytes(path, start_bytes)` skips a prefix the caller already holds: an incremental
    observer of a growing file copies only its new tail, not the whole file at every look.
    """

    def listdir(self, path: str) -> list[str]: ...

    def read_bytes(self, path: str, start_bytes: int = 0) -> bytes | None: ...

    def size_bytes(self, path: str) -> int | None: ...

    def version(self, path: str) -> object | None:
        """Changes whenever the file's bytes change other than by growing (None: not known)."""
        ...


class faults_suspended:  # noqa: N801 - used as a function: `with faults_suspended(disk):`
    """Observers read the simulated disk without consuming fault decisions: the hook is off meanwhile.

    A class, not a `@contextmanager` generator: the world asks the durable index under it at every
    request and emit (several times per signal), and a generator context costs several times more.
    Not reentrant per instance (each `with` builds its own); nested `with`s restore in order.
    """

    __slots__ = ("_disk", "_saved")

    def __init__(self, disk: Any) -> None:
        self._disk = disk
        self._saved: Any = None

    def __enter__(self) -> None:
        disk = self._disk
        self._saved = disk.fault_hook
        disk.fault_hook = None

    def __exit__(self, *exc_info: object) -> None:
        self._disk.fault_hook = self._saved


class SimDiskView:
    """The simulated disk as a `FileView`: what reads see now, or (`durable=True`) what a power loss keeps.

    The listing is the visible one in both cases (a durable file is found by its visible name,
    then read through its durable entry chain), as the durability index has always asked it.
    """

    __slots__ = ("_disk", "read_bytes", "size_bytes", "version", "durable_state", "change_mark", "changes_since",
                 "files_in", "settled_bytes")

    def __init__(self, disk: Any, *, durable: bool = False) -> None:
        self._disk = disk
        self.read_bytes = disk.durable_bytes if durable else self._visible_bytes
        self.size_bytes = disk.durable_size if durable else disk.visible_size
        self.version = disk.durable_version if durable else disk.visible_version
        if durable:
            # size, version, inode and the unread tail in one walk (see DurableLedgerIndex)
            self.durable_state = disk.durable_state
            # a settled file's one copy of its bytes, which the index keeps instead of its own
            self.settled_bytes = disk.settled_bytes
        else:
            # name -> (version, size) of a directory's files in one look (see ManifestObserver)
            self.files_in = disk.visible_files_in
        # The change feed (see sim.disk.change_feed): an incremental observer re-reads only what moved.
        # `change_mark()` is read at every question the durability index is asked: no Python frame.
        self.change_mark = disk.change_mark_reader()
        # `changes_since(mark)`: the inodes that changed after `mark` (None: look at everything),
        # the disk's own method, asked at every durable-index refresh: no frame of this view's
        self.changes_since = disk.changes_since

    def listdir(self, path: str) -> list[str]:
        """The visible names, sorted; not a disk op (an observer's look never moves the op count)."""
        return self._disk.visible_names(path)

    def visible_inode(self, path: str) -> int | None:
        return self._disk.visible_inode(path)

    def durable_inode(self, path: str) -> int | None:
        return self._disk.durable_inode(path)

    def durable_entries(self, path: str) -> dict[str, int] | None:
        return self._disk.durable_entries(path)

    def _visible_bytes(self, path: str, start_bytes: int = 0) -> bytes | None:
        data = self._disk.visible_bytes(path)
        return data if data is None or not start_bytes else data[start_bytes:]



class OsFiles:
    """Real files through `os` (the real twin's disk): names sorted so observers iterate in a defined order."""

    def listdir(self, path: str) -> list[str]:
        return sorted(os.listdir(path))

    def read_bytes(self, path: str, start_bytes: int = 0) -> bytes | None:
        try:
            with open(path, "rb") as handle:
                handle.seek(start_bytes)
                return handle.read()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            return None

    def version(self, path: str) -> None:
        return None  # a real file's rewrites are not tracked: readers re-read what they need

    def size_bytes(self, path: str) -> int | None:
        try:
            return os.stat(path).st_size
        except (FileNotFoundError, NotADirectoryError):
            return None


class MappingFiles:
    """A `dict[path, bytes]` as a `FileView`: directories are the parents of the paths it holds."""

    def __init__(self, files: Mapping[str, bytes]) -> None:
        self._files = dict(files)
        self._entries: dict[str, set[str]] = {}
        for path in self._files:
            child = posixpath.normpath(path)
            parent = posixpath.dirname(child)
            while child != parent:
                self._entries.setdefault(parent, set()).add(posixpath.basename(child))
                child, parent = parent, posixpath.dirname(parent)

    def listdir(self, path: str) -> list[str]:
        entries = self._entries.get(posixpath.normpath(path))
        if entries is None:
            raise FileNotFoundError(2, "No such directory", path)
        return sorted(entries)

    def read_bytes(self, path: str, start_bytes: int = 0) -> bytes | None:
        data = self._files.get(posixpath.normpath(path))
        return data if data is None or not start_bytes else data[start_bytes:]

    def version(self, path: str) -> None:
        return None  # immutable: a mapping's bytes never change

    def size_bytes(self, path: str) -> int | None:
        data = self.read_bytes(path)
        return None if data is None else len(data)


def listdir_or_empty(files: FileView, path: str) -> list[str]:
    """The names in `path`, or none when it is missing or not a directory (an observer never fails a run)."""
    try:
        return files.listdir(path)
    except OSError:
        return []
