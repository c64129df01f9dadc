"""The inlined path walks (`durable_state`, `_file_node`) find what `_walk` finds, over any tree.

`durable_state` and `_file_node` (behind `visible_version`, `visible_size`, `visible_bytes`,
`durable_size`, `durable_bytes`, `durable_version`) walk the path themselves rather than call
`_walk`, one frame less each. Over any history of directories and files made, removed, renamed,
synced and crashed, each answers for every path (missing components, a file used as a
directory, the root, unnormalized spellings) what the same question through `_walk` answers.
"""
from __future__ import annotations

import os
import random

from hypothesis import given, settings
from hypothesis import strategies as st

from sim.disk import SimDisk

DIRS = ("/a", "/a/b", "/c")
FILES = ("/a/f", "/a/b/g", "/c/h", "/f")
QUERIES = ("/", "/a", "/a/b", "/a/f", "/a/b/g", "/c/h", "/f", "/a/f/x", "/f/x", "/c/h/x", "/missing/g", "//a/./b/../f",
           "a/b/g", "/a/b/", "/f/")


def _reference(disk: SimDisk, path: str, *, durable: bool):
    node = disk._walk(disk._norm(path)[1], durable=durable)
    return None if node is None or node.is_dir else node


def _reference_state(disk: SimDisk, path: str, start_bytes: int):
    node = _reference(disk, path, durable=True)
    if node is None:
        return None
    return len(node.durable), (node.ino, node.durable_rewrites), node.ino, bytes(node.durable[start_bytes:])


OPS = st.lists(st.tuples(st.sampled_from(["mkdir", "write", "unlink", "rename", "fsync", "fsync_dir", "crash"]),
                         st.integers(0, 3), st.integers(0, 3), st.binary(max_size=5)), max_size=25)


@settings(max_examples=300, deadline=None)
@given(OPS, st.integers(0, 6))
def test_every_inlined_walk_answers_as_the_walk(ops: list, start_bytes: int) -> None:
    disk = SimDisk(random.Random(2))
    for op, first, second, payload in ops:
        try:
            if op == "mkdir":
                disk.makedirs(DIRS[first % len(DIRS)], exist_ok=True)
            elif op == "write":
                fd = disk.open(FILES[first], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
                disk.write(fd, payload)
                if second % 2:
                    disk.fsync(fd)
                disk.close(fd)
            elif op == "unlink":
                disk.unlink(FILES[first])
            elif op == "rename":
                disk.rename(FILES[first], FILES[second])
            elif op == "fsync" or op == "fsync_dir":
                path = FILES[first] if op == "fsync" else ("/",) + DIRS
                for one in ((path,) if isinstance(path, str) else path):
                    fd = disk.open(one, os.O_RDONLY)
                    disk.fsync(fd)
                    disk.close(fd)
            elif op == "crash":
                disk.crash()
        except OSError:
            pass  # a missing parent or file: the history goes on
        for path in QUERIES:
            for durable in (True, False):
                assert disk._file_node(path, durable=durable) is _reference(disk, path, durable=durable), path
            assert disk.durable_state(path, start_bytes) == _reference_state(disk, path, start_bytes), path
            # handed the inode the path reaches (what the durability index knows), the same answer
            # without the walk; handed a directory's or no inode of the disk, the walk's answer
            for ino in (disk.durable_inode(path), 1, 10**9):
                assert disk.durable_state(path, start_bytes, ino) == _reference_state(disk, path, start_bytes), (path, ino)
