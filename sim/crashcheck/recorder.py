"""The recorder: what the pyfakefs wrappers report, as an ordered list of `Op`.

Identity, not names: every regular file gets a `file_id` when its entry is first added, so
content ops follow the file through renames and unlinks. Files opened with `O_TMPFILE` have no
name on Linux and are not recorded at all. A hard link (an entry added for a file that already
has one) has no rule in the persistence model and is refused.
"""
from __future__ import annotations

import stat as stat_module
from typing import Any

from pyfakefs.fake_file import FakeDirectory, FakeDirWrapper, FakeFileWrapper

from sim.crashcheck.content_delta import content_changes
from sim.crashcheck.errors import UnsupportedOperationError
from sim.crashcheck.ops import Op

OPS_MAX = 2_000_000
FILES_MAX = 60_000  # each replayed file holds one SimDisk descriptor (SimDisk allows 65,536)
PERM_BITS = 0o7777


def _join(directory: Any, name: str) -> str:
    base = directory.path
    return base + name if base.endswith("/") else base + "/" + name


class Recorder:
    """Collects the ops of one workload run. See the module docstring."""

    def __init__(self) -> None:
        self.suppressed = 0
        self.rename_slot: tuple | None = None  # set by the rename hooks while a rename runs
        self.ops: list[Op] = []
        self._file_ids: dict[int, int] = {}
        self._keep_alive: list[Any] = []  # ids are object ids: the objects must outlive the run
        self._anonymous: set[int] = set()
        self.refused: UnsupportedOperationError | None = None  # re-raised after the workload

    def _refuse(self, message: str) -> None:
        error = UnsupportedOperationError(message)
        if self.refused is None:
            self.refused = error
        raise error

    # ------------------------------------------------------------ identity

    def file_id(self, file_object: Any) -> int | None:
        return self._file_ids.get(id(file_object))

    def register(self, file_object: Any) -> int:
        if len(self._file_ids) >= FILES_MAX:
            self._refuse(f"more than {FILES_MAX} files in one history: shorten the workload")
        new_id = len(self._file_ids) + 1
        self._file_ids[id(file_object)] = new_id
        self._keep_alive.append(file_object)
        return new_id

    def _emit(self, kind: str, **fields: Any) -> None:
        if len(self.ops) >= OPS_MAX:
            self._refuse(f"more than {OPS_MAX} ops in one history: shorten the workload")
        self.ops.append(Op(len(self.ops), kind, **fields))

    # ------------------------------------------------------------ what the wrappers report

    def on_add(self, directory: Any, entry: Any) -> None:
        if id(entry) in self._anonymous:
            return
        path = _join(directory, entry.name)
        mode = entry.st_mode & PERM_BITS
        if not isinstance(entry, FakeDirectory) and not stat_module.S_ISREG(entry.st_mode):
            self._refuse(f"{path} is neither a file nor a directory (a symlink?): the persistence model "
                         "has no rule for it")
        if isinstance(entry, FakeDirectory):
            self._emit("mkdir", path=path, mode=mode)
            return
        if self.file_id(entry) is not None:
            self._refuse(f"a second name for a file ({path}): hard links have no rule in the persistence model")
        file_id = self.register(entry)
        self._emit("create", path=path, file_id=file_id, mode=mode)
        contents = entry.byte_contents or b""
        if contents:  # pyfakefs may fill a file before it links it
            self._emit("write", file_id=file_id, offset=0, data=bytes(contents))

    def on_remove(self, directory: Any, name: str, entry: Any) -> None:
        if id(entry) in self._anonymous:
            return
        kind = "rmdir" if isinstance(entry, FakeDirectory) else "unlink"
        self._emit(kind, path=_join(directory, name))

    def on_rename(self, src: str, dst: str, entry: Any) -> None:
        if id(entry) in self._anonymous:
            return
        self._emit("rename", path=src, path2=dst)

    def on_content(self, file_object: Any, old: bytes | None) -> None:
        file_id = self.file_id(file_object)
        if file_id is None:
            return  # not linked yet (its bytes are recorded when it is) or anonymous
        for kind, offset, data in content_changes(old or b"", file_object.byte_contents or b""):
            self._emit(kind, file_id=file_id, offset=offset, data=data)

    def on_size(self, file_object: Any, old_size: int) -> None:
        file_id = self.file_id(file_object)
        if file_id is None or isinstance(file_object, FakeDirectory):
            return
        if file_object.st_size != old_size:
            self._emit("truncate", file_id=file_id, offset=file_object.st_size)

    def on_chmod(self, file_object: Any) -> None:
        if id(file_object) in self._anonymous:
            return
        if not isinstance(file_object, FakeDirectory) and self.file_id(file_object) is None:
            return
        self._emit("chmod", path=file_object.path, mode=file_object.st_mode & PERM_BITS)

    def on_sync(self, kind: str, handle: Any) -> None:
        if kind == "sync":
            self._emit("sync")
        elif isinstance(handle, FakeDirWrapper):
            self._emit("fsync_dir", path=handle.get_object().path)
        elif isinstance(handle, FakeFileWrapper):
            file_id = self.file_id(handle.get_object())
            if file_id is not None:
                self._emit(kind, file_id=file_id)

    def on_tmpfile(self, file_object: Any) -> None:
        self._anonymous.add(id(file_object))
        self._keep_alive.append(file_object)

    def on_ack(self, kind: str, key: str) -> None:
        self._emit("ack", path=kind, path2=key)
