"""`open` builds its descriptor's handle in one step: every slot holds what `OpenFile.__init__` gives
for the same node, path and flags (a directory is never writable, the offset starts at 0)."""
from __future__ import annotations

import os

from sim.disk import SimDisk
from sim.disk.disk import OpenFile


def _slots(handle: OpenFile) -> dict[str, object]:
    return {name: getattr(handle, name) for name in OpenFile.__slots__}


def test_every_open_handle_is_what_init_builds(disk: SimDisk) -> None:
    disk.makedirs("/d")
    cases = [
        ("/d/new", os.O_WRONLY | os.O_CREAT | os.O_APPEND),
        ("/d/new", os.O_RDWR),
        ("/d/new", os.O_RDONLY),
        ("/d/new", os.O_WRONLY | os.O_TRUNC),
        ("/d/new", os.O_RDWR | os.O_APPEND),
        ("/d", os.O_RDONLY),
        ("/", os.O_RDONLY | os.O_DIRECTORY),
        ("d/../d/new", os.O_RDONLY),
    ]
    for path, flags in cases:
        fd = disk.open(path, flags, 0o644)
        handle = disk._fds[fd]
        access = flags & (os.O_RDONLY | os.O_WRONLY | os.O_RDWR)
        writable = access != os.O_RDONLY
        expected = OpenFile(handle.node, os.path.normpath(path if path.startswith("/") else "/" + path), access != os.O_WRONLY,
                            writable and not handle.node.is_dir, bool(flags & os.O_APPEND))
        assert type(handle) is OpenFile and _slots(handle) == _slots(expected), (path, flags)
        assert type(handle.append) is bool and type(handle.writable) is bool
        disk.close(fd)
