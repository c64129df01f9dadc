"""`SimDisk.visible_version`: what an observer of visible bytes may trust without reading them.

Same version and same size must mean the same bytes; growing at the end keeps the version (the
prefix an observer holds is still what reads see). Anything else that changes what reads see
moves it: an overwrite, a truncate that cuts, rot, a crash installing a state, a rename over.
"""
from __future__ import annotations

import os
import random

from hypothesis import given, settings
from hypothesis import strategies as st

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


OPS = st.lists(st.tuples(st.sampled_from(["write", "append", "truncate", "flip", "rename", "recreate", "fsync", "crash"]),
                         st.sampled_from(["/d/a", "/d/b"]), st.integers(0, 12), st.binary(min_size=1, max_size=4)),
               max_size=30)


def apply_file_op(disk: SimDisk, fds: dict[str, int], op: str, path: str, number: int, payload: bytes) -> None:
    """One step of a history over the files /d/a and /d/b (`fds`: the fds kept open, by path): a
    write at `number`, an append, a truncate to `number`, rot, a rename over the other file, an
    unlink and re-creation, an fsync, a crash. A step its file's state does not allow is a no-op."""

    def fd_of(path: str) -> int:
        if path not in fds:
            fds[path] = disk.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        return fds[path]

    if op == "write":
        fd = fd_of(path)
        disk.lseek(fd, number, os.SEEK_SET)
        disk.write(fd, payload)
    elif op == "append":
        fd = fd_of(path)
        disk.lseek(fd, 0, os.SEEK_END)
        disk.write(fd, payload)
    elif op == "truncate":
        disk.ftruncate(fd_of(path), number)
    elif op == "flip" and (disk.durable_size(path) or 0) > 0:
        disk.flip_bit(path, number % (8 * disk.durable_size(path)))
    elif op == "rename" and disk.visible_size(path) is not None:
        other = "/d/b" if path == "/d/a" else "/d/a"
        fd_of(path)
        disk.rename(path, other)
        fds.pop(other, None)
        fds[other] = fds.pop(path)
    elif op == "recreate" and disk.visible_size(path) is not None:
        if path in fds:
            disk.close(fds.pop(path))
        disk.unlink(path)
        fd_of(path)
    elif op == "fsync" and path in fds:
        disk.fsync(fds[path])
    elif op == "crash":
        disk.crash()
        fds.clear()


@settings(max_examples=150, deadline=None)
@given(OPS)
def test_a_version_that_did_not_move_means_the_bytes_only_grew(ops: list) -> None:
    """Over any history: where a file's version is the same as at the last look, its old bytes are
    a prefix of its bytes now. That is all an observer that skips the read relies on."""
    disk = SimDisk(random.Random(5))
    disk.mkdir("/d")
    fds: dict[str, int] = {}
    looked: dict[str, tuple] = {}
    for op, path, number, payload in ops:
        apply_file_op(disk, fds, op, path, number, payload)
        for seen in ("/d/a", "/d/b"):
            now = (disk.visible_version(seen), disk.visible_bytes(seen))
            assert (now[1] is None) == (now[0] is None) == (disk.visible_size(seen) is None)
            if now[1] is not None:
                assert disk.visible_size(seen) == len(now[1])
            before = looked.get(seen)
            if before is not None and now[0] is not None and before[0] == now[0]:
                assert now[1][: len(before[1])] == before[1], (op, seen, before, now)
            looked[seen] = now
