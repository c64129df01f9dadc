"""The disk's path memos (normalization and the walks' split) are pure: a hit answers as a miss."""
from __future__ import annotations

import errno
import os
import pathlib
import random

import pytest

from sim.disk import SimDisk, disk as disk_module


def test_a_memoized_path_normalizes_as_the_first_time_and_as_its_pathlike() -> None:
    disk_module._norm_memo.clear()
    for given in ("/a/b/../c/", "a//b", "//x/./y", "/"):
        first = SimDisk._norm(given)
        assert SimDisk._norm(given) == first
        as_path = pathlib.PurePosixPath(given)
        assert SimDisk._norm(as_path) == SimDisk._norm(os.fspath(as_path))
    assert SimDisk._norm("/a/b/../c/") == ("/a/b/../c/", "/a/c", True)
    assert SimDisk._norm("//x/./y") == ("//x/./y", "/x/y", False)


def test_a_bad_path_raises_every_time_and_is_never_memoized() -> None:
    for _ in range(2):
        with pytest.raises(FileNotFoundError):
            SimDisk._norm("")
        with pytest.raises(TypeError):
            SimDisk._norm(b"/bytes")  # type: ignore[arg-type]
    assert "" not in disk_module._norm_memo


def test_the_walks_see_the_tree_as_it_is_now_not_as_when_the_path_was_first_split() -> None:
    disk = SimDisk(random.Random(0))
    disk.mkdir("/d")
    fd = disk.open("/d/f", os.O_WRONLY | os.O_CREAT)
    disk.close(fd)
    assert disk.visible_bytes("/d/f") == b""
    disk.unlink("/d/f")
    disk.rmdir("/d")
    assert disk.visible_bytes("/d/f") is None
    with pytest.raises(OSError) as raised:
        disk.open("/d/f", os.O_WRONLY | os.O_CREAT)
    assert raised.value.errno == errno.ENOENT
    fd = disk.open("/d", os.O_WRONLY | os.O_CREAT)  # now a file where the directory was
    disk.close(fd)
    with pytest.raises(OSError) as raised:
        disk.open("/d/f", os.O_WRONLY | os.O_CREAT)
    assert raised.value.errno == errno.ENOTDIR


def test_the_memos_stay_bounded() -> None:
    for number in range(disk_module.NORM_MEMO_MAX + 10):
        SimDisk._norm(f"/p{number}/q")
        disk_module._split(f"/p{number}/q")
    assert len(disk_module._norm_memo) <= disk_module.NORM_MEMO_MAX
    assert len(disk_module._split_memo) <= disk_module.NORM_MEMO_MAX
