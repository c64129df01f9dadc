"""`disk.path`: the os.path helpers that touch the file system, answered by the simulated disk.

They go through `disk.stat`, so they count as ops and fault hooks see them (as "stat"),
exactly as os.path.exists calls os.stat. The pure string helpers are posixpath's own.
"""
from __future__ import annotations

import posixpath
import stat as stat_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sim.disk.disk import SimDisk


class DiskPath:
    """os.path's file-system predicates for one SimDisk."""

    join = staticmethod(posixpath.join)
    dirname = staticmethod(posixpath.dirname)
    basename = staticmethod(posixpath.basename)
    split = staticmethod(posixpath.split)
    splitext = staticmethod(posixpath.splitext)
    normpath = staticmethod(posixpath.normpath)
    isabs = staticmethod(posixpath.isabs)
    sep = "/"

    def __init__(self, disk: "SimDisk") -> None:
        self._disk = disk

    def exists(self, path) -> bool:
        try:
            self._disk.stat(path)
        except (OSError, ValueError):
            return False
        return True

    def isdir(self, path) -> bool:
        try:
            return stat_module.S_ISDIR(self._disk.stat(path).st_mode)
        except (OSError, ValueError):
            return False

    def isfile(self, path) -> bool:
        try:
            return stat_module.S_ISREG(self._disk.stat(path).st_mode)
        except (OSError, ValueError):
            return False

    def getsize(self, path) -> int:
        return self._disk.stat(path).st_size
