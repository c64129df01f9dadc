"""Where every pyfakefs entry point meets, and the wrappers crashcheck puts there.

`open`, `os.*`, `os.path.*`, `pathlib`, `shutil` and `tempfile` all end, inside pyfakefs
(6.x), in a handful of methods of its file objects. Wrapping those, and only those, sees every
change of the fake tree once, whichever API made it:

| what changes            | pyfakefs method (private unless noted)               |
|-------------------------|------------------------------------------------------|
| an entry is added       | `FakeDirectory.add_entry` (create, mkdir)            |
| an entry is removed     | `FakeDirectory.remove_entry` (unlink, rmdir)         |
| a rename/replace        | `FakeFilesystem.rename` + `_do_rename` (one op, not remove+add) |
| a file's bytes          | `FakeFile.set_initial_contents` (every flush)        |
| a file's length         | `FakeFile.size` setter (`truncate`, `ftruncate`)     |
| permission bits         | `FakeFilesystem.chmod` (`chmod`, `fchmod`, `Path.chmod`) |
| fsync / fdatasync       | `FakeOsModule.fsync` / `.fdatasync` (public: no-ops in pyfakefs) |
| `O_TMPFILE` opens       | `FakeOsModule.open` (pyfakefs names the file with a uuid) |

`os.sync` is not faked by pyfakefs at all (its `os` forwards it to the real module): the
wrapper adds `FakeOsModule.sync`, so it is recorded during a recording and is a no-op
otherwise; it never reaches the real disk.

`PINNED` lists these names; a test pins them against the installed pyfakefs, and
`pyproject.toml` pins the version range they were read from.
"""
from __future__ import annotations

import os
from typing import Any, Protocol

from pyfakefs import fake_file, fake_filesystem, fake_os

from sim.crashcheck.errors import CrashcheckError

# (module, class, attribute): every private or semi-private pyfakefs name this module relies on.
PINNED: tuple[tuple[Any, str, str], ...] = (
    (fake_file, "FakeDirectory", "add_entry"),
    (fake_file, "FakeDirectory", "remove_entry"),
    (fake_file, "FakeDirectory", "get_entry"),
    (fake_filesystem, "FakeFilesystem", "_do_rename"),
    (fake_filesystem, "FakeFilesystem", "chmod"),
    (fake_filesystem, "FakeFilesystem", "get_open_file"),
    (fake_filesystem, "FakeFilesystem", "resolve"),
    (fake_file, "FakeFile", "set_initial_contents"),
    (fake_file, "FakeFile", "size"),
    (fake_file, "FakeFile", "path"),
    (fake_file, "FakeFile", "byte_contents"),
    (fake_file, "FakeFileWrapper", "get_object"),
    (fake_file, "FakeDirWrapper", "get_object"),
    (fake_os, "FakeOsModule", "fsync"),
    (fake_os, "FakeOsModule", "fdatasync"),
    (fake_os, "FakeOsModule", "open"),
)
O_TMPFILE = getattr(os, "O_TMPFILE", 0)


class Listener(Protocol):
    """What the wrappers report to (the recorder)."""

    suppressed: int
    rename_slot: tuple | None

    def on_add(self, directory: Any, entry: Any) -> None: ...
    def on_remove(self, directory: Any, name: str, entry: Any) -> None: ...
    def on_rename(self, src: str, dst: str, entry: Any) -> None: ...
    def on_content(self, file_object: Any, old: bytes | None) -> None: ...
    def on_size(self, file_object: Any, old_size: int) -> None: ...
    def on_chmod(self, file_object: Any) -> None: ...
    def on_sync(self, kind: str, handle: Any) -> None: ...
    def on_tmpfile(self, file_object: Any) -> None: ...


class HookState:
    """The one listener the installed wrappers report to (None: pass through)."""

    listener: Listener | None = None
    installed: bool = False


_STATE = HookState()
_ORIGINALS: dict[tuple[type, str], Any] = {}


def _active() -> Listener | None:
    listener = _STATE.listener
    if listener is None or listener.suppressed:
        return None
    return listener


def _join(directory: Any, name: str) -> str:
    base = directory.path
    return base + name if base.endswith("/") else base + "/" + name


def _add_entry(self, path_object):  # noqa: ANN001, ANN202
    _ORIGINALS[(fake_file.FakeDirectory, "add_entry")](self, path_object)
    listener = _active()
    if listener is not None:
        listener.on_add(self, path_object)


def _remove_entry(self, pathname_name, recursive=True):  # noqa: ANN001, ANN202
    listener = _active()
    entry = None
    if listener is not None:
        try:
            entry = self.get_entry(pathname_name)
        except KeyError:
            entry = None  # the original raises the right error
    _ORIGINALS[(fake_file.FakeDirectory, "remove_entry")](self, pathname_name, recursive)
    if listener is not None and entry is not None:
        listener.on_remove(self, pathname_name, entry)


def _rename(self, old_file_path, new_file_path, force_replace=False):  # noqa: ANN001, ANN202
    """Every rename/replace (os, pathlib, shutil.move) passes here: one op, whatever happens inside.

    pyfakefs removes an existing destination first and then moves the entry (remove + add):
    both are suppressed, and `_do_rename` reports the move that really happened.
    """
    original = _ORIGINALS[(fake_filesystem.FakeFilesystem, "rename")]
    listener = _active()
    if listener is None:
        return original(self, old_file_path, new_file_path, force_replace)
    listener.rename_slot = None
    listener.suppressed += 1
    try:
        result = original(self, old_file_path, new_file_path, force_replace)
    finally:
        listener.suppressed -= 1
    moved, listener.rename_slot = listener.rename_slot, None
    if moved is not None:
        listener.on_rename(*moved)
    return result


def _do_rename(self, old_dir_object, old_name, new_dir_object, new_name):  # noqa: ANN001, ANN202
    listener = _STATE.listener
    if listener is not None:
        listener.rename_slot = (_join(old_dir_object, old_name), _join(new_dir_object, new_name),
                                old_dir_object.get_entry(old_name))
    return _ORIGINALS[(fake_filesystem.FakeFilesystem, "_do_rename")](
        self, old_dir_object, old_name, new_dir_object, new_name)


def _set_initial_contents(self, contents):  # noqa: ANN001, ANN202
    old = self._byte_contents
    changed = _ORIGINALS[(fake_file.FakeFile, "set_initial_contents")](self, contents)
    listener = _active()
    if listener is not None:
        listener.on_content(self, old)
    return changed


_size_property: property = fake_file.FakeFile.size


def _set_size(self, st_size: int) -> None:  # noqa: ANN001
    old_size = self.st_size or 0
    _size_property.fset(self, st_size)
    if st_size > old_size and len(self._byte_contents or b"") < st_size:
        # pyfakefs grows an empty file without adding its zeros; Linux (and SimDisk) read them
        self._byte_contents = (self._byte_contents or b"") + bytes(st_size - len(self._byte_contents or b""))
    listener = _active()
    if listener is not None:
        listener.on_size(self, old_size)


def _chmod(self, path, mode, follow_symlinks=True, force_unix_mode=False):  # noqa: ANN001, ANN202
    _ORIGINALS[(fake_filesystem.FakeFilesystem, "chmod")](self, path, mode, follow_symlinks, force_unix_mode)
    listener = _active()
    if listener is not None:
        listener.on_chmod(self.resolve(path, follow_symlinks, allow_fd=True))


def _sync_wrapper(kind: str):  # noqa: ANN202
    original_key = (fake_os.FakeOsModule, kind)

    def sync_fd(self, fd):  # noqa: ANN001, ANN202
        _ORIGINALS[original_key](self, fd)
        listener = _active()
        if listener is not None:
            listener.on_sync(kind, self.filesystem.get_open_file(fd))

    sync_fd.__name__ = kind
    return sync_fd


def _sync(self) -> None:  # noqa: ANN001
    """os.sync under crashcheck: recorded while recording, a no-op otherwise; never the real one."""
    listener = _active()
    if listener is not None:
        listener.on_sync("sync", None)


def _open(self, path, flags, mode=None, *, dir_fd=None):  # noqa: ANN001, ANN202
    original = _ORIGINALS[(fake_os.FakeOsModule, "open")]
    listener = _active()
    if listener is None or not O_TMPFILE or flags & O_TMPFILE != O_TMPFILE:
        return original(self, path, flags, mode, dir_fd=dir_fd)
    # An O_TMPFILE file has no name on Linux: pyfakefs gives it a uuid one. Its ops are noise
    # (filelock probes every lock directory this way), so none of them is recorded.
    listener.suppressed += 1
    try:
        fd = original(self, path, flags, mode, dir_fd=dir_fd)
    finally:
        listener.suppressed -= 1
    listener.on_tmpfile(self.filesystem.get_open_file(fd).get_object())
    return fd


_WRAPPERS: tuple[tuple[type, str, Any], ...] = (
    (fake_file.FakeDirectory, "add_entry", _add_entry),
    (fake_file.FakeDirectory, "remove_entry", _remove_entry),
    (fake_filesystem.FakeFilesystem, "rename", _rename),
    (fake_filesystem.FakeFilesystem, "_do_rename", _do_rename),
    (fake_filesystem.FakeFilesystem, "chmod", _chmod),
    (fake_file.FakeFile, "set_initial_contents", _set_initial_contents),
    (fake_file.FakeFile, "size", property(_size_property.fget, _set_size, doc=_size_property.__doc__)),
    (fake_os.FakeOsModule, "fsync", _sync_wrapper("fsync")),
    (fake_os.FakeOsModule, "fdatasync", _sync_wrapper("fdatasync")),
    (fake_os.FakeOsModule, "open", _open),
    (fake_os.FakeOsModule, "sync", _sync),
)


def install() -> None:
    """Put the wrappers in place (class attributes). They pass through while no listener is set."""
    if _STATE.installed:
        raise CrashcheckError("crashcheck hooks are already installed: one crashcheck run at a time")
    for owner, name, wrapper in _WRAPPERS:
        _ORIGINALS[(owner, name)] = owner.__dict__.get(name)
        setattr(owner, name, wrapper)
    _STATE.installed = True


def uninstall() -> None:
    """Restore pyfakefs exactly as it was."""
    if not _STATE.installed:
        return
    for owner, name, _ in _WRAPPERS:
        original = _ORIGINALS.pop((owner, name))
        if original is None:
            delattr(owner, name)
        else:
            setattr(owner, name, original)
    _STATE.installed = False
    _STATE.listener = None


def set_listener(listener: Listener | None) -> None:
    assert _STATE.installed or listener is None, "install() the hooks before listening"
    _STATE.listener = listener
