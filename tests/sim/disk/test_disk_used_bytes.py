"""The disk's used-bytes bookkeeping: after any mix of writes, truncates, replaces, unlinks and
crashes, `used_bytes` is the sum of the sizes of the files reads see."""
from __future__ import annotations

import os
import random

from hypothesis import given, settings
from hypothesis import strategies as st

from sim.disk import SimDisk

PATHS = ("/a", "/b", "/c")
OPS = st.lists(
    st.tuples(st.sampled_from(("write", "pwrite", "truncate", "replace", "unlink", "crash", "fsync")),
              st.sampled_from(PATHS), st.integers(0, 300)),
    max_size=40,
)


def _visible_total_bytes(disk: SimDisk) -> int:
    return sum(len(data) for data in disk.visible_files().values())


@settings(max_examples=200)
@given(ops=OPS)
def test_used_bytes_is_the_sum_of_the_visible_file_sizes(ops: list[tuple[str, str, int]]) -> None:
    disk = SimDisk(random.Random(0))
    for op, path, amount in ops:
        if op in ("write", "pwrite", "truncate", "fsync"):
            fd = disk.open(path, os.O_WRONLY | os.O_CREAT | (os.O_APPEND if op == "write" else 0), 0o644)
            if op == "write":
                disk.write(fd, b"x" * amount)
            elif op == "pwrite":
                disk.lseek(fd, amount, os.SEEK_SET)
                disk.write(fd, b"y" * (amount % 17 + 1))
            elif op == "truncate":
                disk.ftruncate(fd, amount)
            else:
                disk.fsync(fd)
            disk.close(fd)
        elif op == "replace" and disk.visible_bytes(path) is not None:
            disk.replace(path, PATHS[(PATHS.index(path) + 1) % len(PATHS)])
        elif op == "unlink" and disk.visible_bytes(path) is not None:
            disk.unlink(path)
        elif op == "crash":
            disk.crash()
        assert disk.used_bytes == _visible_total_bytes(disk), (op, path, amount)
