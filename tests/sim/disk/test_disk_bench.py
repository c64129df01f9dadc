"""Appends cost O(1) amortized on SimDisk, whatever the file size; pyfakefs costs O(file size).

Runs as a benchmark with `--benchmark-only`/benchmarks enabled, and as a quick check with
benchmarking disabled. The scaling assertion compares SimDisk with itself at two file sizes
(ratio, not absolute time), so it holds on slow and fast machines alike.
"""
from __future__ import annotations

import os
import random
import timeit

import pytest
from pyfakefs.fake_filesystem import FakeFilesystem
from pyfakefs.fake_os import FakeOsModule

from sim.disk import SimDisk

FRAME = b"f" * 100
APPENDS = 200


def prefilled_sim(size_bytes: int) -> tuple[SimDisk, int]:
    disk = SimDisk(random.Random(0))
    fd = disk.open("/segment", os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    disk.write(fd, b"\0" * size_bytes)
    disk.fsync(fd)
    return disk, fd


def prefilled_fake(size_bytes: int):
    fake_os = FakeOsModule(FakeFilesystem(path_separator="/"))
    fd = fake_os.open("/segment", os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    fake_os.write(fd, b"\0" * size_bytes)
    return fake_os, fd


def append_and_fsync(module, fd: int) -> None:
    for _ in range(APPENDS):
        module.write(fd, FRAME)
        module.fsync(fd)


@pytest.mark.parametrize("size_bytes", [100_000, 1_600_000])
def test_bench_simdisk_append_and_fsync(benchmark, size_bytes):
    disk, fd = prefilled_sim(size_bytes)
    benchmark(append_and_fsync, disk, fd)


@pytest.mark.parametrize("size_bytes", [100_000, 1_600_000])
def test_bench_pyfakefs_append_and_fsync(benchmark, size_bytes):
    fake_os, fd = prefilled_fake(size_bytes)
    benchmark.pedantic(append_and_fsync, args=(fake_os, fd), rounds=3, iterations=1)


def best_seconds(module, fd) -> float:
    return min(timeit.repeat(lambda: append_and_fsync(module, fd), number=1, repeat=5))


def test_simdisk_append_cost_does_not_grow_with_file_size():
    small = best_seconds(*prefilled_sim(100_000))
    large = best_seconds(*prefilled_sim(3_200_000))
    assert large < small * 3, f"append+fsync at 3.2 MB took {large / small:.1f}x the time at 100 KB"


def test_simdisk_appends_far_faster_than_pyfakefs_on_a_large_file():
    sim = best_seconds(*prefilled_sim(1_600_000))
    fake_os, fd = prefilled_fake(1_600_000)
    fake = min(timeit.repeat(lambda: append_and_fsync(fake_os, fd), number=1, repeat=2))
    assert sim * 10 < fake, f"SimDisk {sim * 1e6 / APPENDS:.1f} us/append, pyfakefs {fake * 1e6 / APPENDS:.1f} us"
