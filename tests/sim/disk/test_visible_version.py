"""`SimDisk.visible_version`: what an observer of visible bytes may trust without reading them.

Same version and same size must mean the same bytes; growing at the end keeps the version (the
prefix an observer holds is still what reads see). Anything else that changes what reads see
moves it: an overwrite, a truncate that cuts, rot, a crash installing a state, a rename over.
"""
from __future__ import annotations

import os
import random

from sim.disk import SimDisk

PATH = "/d/file"


def _disk_with_file(data: bytes = b"abcdef") -> tuple[SimDisk, int]:
    disk = SimDisk(random.Random(3))
    disk.mkdir("/d")
    fd = disk.open(PATH, os.O_RDWR | os.O_CREAT, 0o644)
    disk.write(fd, data)
    return disk, fd


def test_appending_keeps_the_version_and_grows_the_size() -> None:
    disk, fd = _disk_with_file()
    before = disk.visible_version(PATH)
    disk.write(fd, b"ghi")
    assert disk.visible_version(PATH) == before
    assert disk.visible_size(PATH) == 9 == len(disk.visible_bytes(PATH))


def test_an_overwrite_of_the_same_size_moves_the_version() -> None:
    disk, fd = _disk_with_file()
    before = disk.visible_version(PATH)
    disk.lseek(fd, 2, os.SEEK_SET)
    disk.write(fd, b"XY")
    assert disk.visible_size(PATH) == 6 and disk.visible_version(PATH) != before


def test_a_truncate_that_cuts_moves_the_version_one_that_extends_does_not() -> None:
    disk, fd = _disk_with_file()
    before = disk.visible_version(PATH)
    disk.ftruncate(fd, 10)
    assert disk.visible_version(PATH) == before
    disk.ftruncate(fd, 3)
    assert disk.visible_version(PATH) != before


def test_rot_in_cached_bytes_moves_the_version() -> None:
    disk, fd = _disk_with_file()
    disk.fsync(fd)
    before = disk.visible_version(PATH)
    disk.flip_bit(PATH, 0)
    assert disk.visible_bytes(PATH)[0] != ord("a") and disk.visible_version(PATH) != before


def test_a_crash_moves_the_version_of_every_file_even_with_the_same_inode_and_bytes() -> None:
    disk, fd = _disk_with_file()
    disk.fsync(fd)
    for directory in ("/", "/d"):
        dir_fd = disk.open(directory, os.O_RDONLY)
        disk.fsync(dir_fd)
        disk.close(dir_fd)
    before = disk.visible_version(PATH)
    disk.crash()
    assert disk.visible_bytes(PATH) == b"abcdef" and disk.visible_version(PATH) != before


def test_a_rename_over_the_path_moves_the_version_and_a_missing_file_has_none() -> None:
    disk, fd = _disk_with_file()
    before = disk.visible_version(PATH)
    other = disk.open("/d/other", os.O_WRONLY | os.O_CREAT, 0o644)
    disk.write(other, b"abcdef")
    disk.rename("/d/other", PATH)
    assert disk.visible_version(PATH) != before
    assert disk.visible_version("/d/missing") is None and disk.visible_size("/d/missing") is None
