"""`SimDisk._stat_of` hands out a node's last stat result while its mode and size are unchanged.

The reference is the result built afresh, as before the cache: over any history of writes,
truncates, mode changes, renames, crashes and clones, `fstat`, `stat` and `scandir` give it,
field for field, for files and directories.
"""
from __future__ import annotations

import os
import random
import stat as stat_module

from hypothesis import given, settings
from hypothesis import strategies as st

from sim.disk import SimDisk

PATHS = ("/d", "/d/a", "/d/b")


def _fresh(disk: SimDisk, path: str) -> tuple:
    """The stat result's fields built from what the disk holds now, without the cache."""
    ino = disk.visible_inode(path)
    node = disk._nodes[ino]
    if node.is_dir:
        return (node.mode, ino, 1, 2, 0, 0, 0, 0, 0, 0)
    return (node.mode, ino, 1, 1, 0, 0, disk.visible_size(path), 0, 0, 0)


def _check(disk: SimDisk) -> None:
    listed = {entry.path: entry.stat() for entry in disk.scandir("/d")}
    for path in PATHS:
        if disk.visible_inode(path) is None:
            continue
        expected = _fresh(disk, path)
        assert tuple(disk.stat(path)) == expected, path
        fd = disk.open(path, os.O_RDONLY)
        try:
            assert tuple(disk.fstat(fd)) == expected, path
        finally:
            disk.close(fd)
        if path != "/d":
            assert tuple(listed[path]) == expected, path
        assert stat_module.S_ISDIR(disk.stat(path).st_mode) == (path == "/d")


OPS = st.lists(st.tuples(st.sampled_from(["write", "truncate", "chmod", "rename", "crash", "clone", "look"]),
                         st.sampled_from(PATHS), st.integers(0, 9), st.binary(min_size=1, max_size=4)), max_size=25)


@settings(max_examples=300, deadline=None)
@given(OPS)
def test_every_stat_is_the_one_built_afresh(ops: list) -> None:
    disk = SimDisk(random.Random(4), root_user=True)
    disk.mkdir("/d")
    fd = disk.open("/", os.O_RDONLY)
    disk.fsync(fd)
    disk.close(fd)
    for op, path, number, payload in ops:
        is_file = path != "/d"
        if op == "write" and is_file:
            fd = disk.open(path, os.O_WRONLY | os.O_CREAT, 0o644)
            disk.lseek(fd, number, os.SEEK_SET)
            disk.write(fd, payload)
            disk.close(fd)
        elif op == "truncate" and is_file and disk.visible_inode(path) is not None:
            fd = disk.open(path, os.O_WRONLY)
            disk.ftruncate(fd, number)
            disk.close(fd)
        elif op == "chmod" and disk.visible_inode(path) is not None:
            disk.chmod(path, 0o600 | (number & 0o77))
        elif op == "rename" and is_file and disk.visible_inode(path) is not None:
            disk.rename(path, "/d/b" if path == "/d/a" else "/d/a")
        elif op == "crash":
            disk.crash()
        elif op == "clone":
            disk = disk.clone()
        elif op == "look":
            _check(disk)
    _check(disk)
