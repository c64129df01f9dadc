"""`partition_records` keeps each segment's records with the bytes it walked and, for bytes that begin
with those, walks only what follows. Its answers must be those of indexing every segment's bytes
again at every look, whatever happened to the files in between: appends (torn frames included),
overwrites, truncations, rot, a file replaced under its name, a crash (the memo is shared by every
view and every example, as by every run)."""
from __future__ import annotations

import os
import random

from hypothesis import given, settings
from hypothesis import strategies as st

from scenarios.ledger_oracle import valid_frame_index
from scenarios.observers import SimDiskView, ledger_files
from scenarios.observers.ledger_files import is_segment, partition_records
from sim.disk import SimDisk

from tests.scenarios.test_world_facts import frame, fsync_dir

ROOT = "/ledger"
DAY = "2026-01-01"
NAMES = ("segment-000001.log", "segment-000002.log")


def spec_partition_records(disk: SimDisk) -> list[tuple[str, int]]:
    """Every segment's bytes indexed from the start, as if nothing had been seen before."""
    directory = f"{ROOT}/{DAY}"
    return [record for name in disk.visible_names(directory) if is_segment(name)
            for record in valid_frame_index(disk.visible_bytes(f"{directory}/{name}") or b"")[0]]


def _write_at(disk: SimDisk, path: str, data: bytes, *, at: int | None, fsync: bool) -> None:
    fd = disk.open(path, os.O_WRONLY | os.O_CREAT, 0o644)
    disk.lseek(fd, at if at is not None else disk.fstat(fd).st_size, os.SEEK_SET)
    disk.write(fd, data)
    if fsync:
        disk.fsync(fd)
    disk.close(fd)


_op = st.one_of(
    st.tuples(st.just("append"), st.sampled_from(NAMES), st.integers(1, 40), st.integers(0, 30), st.booleans()),
    st.tuples(st.just("overwrite"), st.sampled_from(NAMES), st.integers(0, 200), st.binary(min_size=1, max_size=6),
              st.booleans()),
    st.tuples(st.just("truncate"), st.sampled_from(NAMES), st.integers(0, 200), st.none(), st.none()),
    st.tuples(st.just("rot"), st.sampled_from(NAMES), st.integers(0, 4000), st.none(), st.none()),
    st.tuples(st.just("replace"), st.sampled_from(NAMES), st.integers(1, 40), st.none(), st.none()),
    st.tuples(st.just("crash"), st.none(), st.none(), st.none(), st.none()),
)


def ledger_disk(seed: int) -> SimDisk:
    """A disk holding the day's directory, durably."""
    disk = SimDisk(random.Random(seed))
    for directory in (ROOT, f"{ROOT}/{DAY}"):
        disk.mkdir(directory)
    for directory in (f"{ROOT}/{DAY}", ROOT, "/"):
        fsync_dir(disk, directory)
    return disk


def apply_op(disk: SimDisk, op: tuple, sequence: int) -> int:
    """One step of a history drawn from `_op` on the day's segments; returns the last sequence used."""
    kind, name, number, extra, flag = op
    path = f"{ROOT}/{DAY}/{name}" if name is not None else ""
    exists = name is not None and disk.visible_size(path) is not None
    if kind == "append":
        sequence += 1
        data = frame(f"S{sequence}-{number}", sequence)
        _write_at(disk, path, data[:len(data) - extra] if extra < len(data) else data, at=None, fsync=flag)
    elif kind == "overwrite" and exists:
        _write_at(disk, path, extra, at=min(number, disk.visible_size(path)), fsync=flag)
    elif kind == "truncate" and exists:
        fd = disk.open(path, os.O_WRONLY)
        disk.ftruncate(fd, min(number, disk.visible_size(path)))
        disk.close(fd)
    elif kind == "rot" and exists and disk.durable_size(path):
        disk.flip_bit(path, number % (disk.durable_size(path) * 8))
    elif kind == "replace":
        sequence += 1
        _write_at(disk, f"{path}.tmp", frame(f"R{sequence}", sequence) * (1 + number % 3), at=None, fsync=True)
        disk.rename(f"{path}.tmp", path)
        if number % 2:
            fsync_dir(disk, f"{ROOT}/{DAY}")
    elif kind == "crash":
        disk.crash()
    return sequence


@settings(max_examples=150, deadline=None)
@given(ops=st.lists(_op, max_size=25), seed=st.integers(0, 2**16))
def test_the_records_are_those_of_a_fresh_index_after_any_history(ops: list, seed: int) -> None:
    disk = ledger_disk(seed)
    view = SimDiskView(disk)
    sequence = 0
    for op in ops:
        sequence = apply_op(disk, op, sequence)
        assert partition_records(view, ROOT, DAY) == spec_partition_records(disk)


def test_an_unchanged_segment_is_not_walked_again_and_a_grown_one_only_past_its_frames(monkeypatch) -> None:
    walked: list[int] = []

    def counted_index(data: bytes) -> tuple[list[tuple[str, int]], int]:
        walked.append(len(data))
        return valid_frame_index(data)

    monkeypatch.setattr(ledger_files, "valid_frame_index", counted_index)
    disk = ledger_disk(1)
    view = SimDiskView(disk)
    path = f"{ROOT}/{DAY}/{NAMES[0]}"
    first, second, third = frame("A", 1), frame("B", 2), frame("C", 3)
    _write_at(disk, path, first + second[:5], at=None, fsync=True)  # a torn second frame
    fsync_dir(disk, f"{ROOT}/{DAY}")
    assert partition_records(view, ROOT, DAY) == [("A", 1)] and walked == [len(first) + 5]
    assert partition_records(view, ROOT, DAY) == [("A", 1)] and len(walked) == 1  # the same bytes: not walked
    _write_at(disk, path, second[5:] + third, at=None, fsync=True)
    assert partition_records(view, ROOT, DAY) == [("A", 1), ("B", 2), ("C", 3)]
    assert walked[-1] == len(second) + len(third)  # from the end of the last whole frame
    disk.crash()  # new inodes, the same bytes: compared whole with those kept, nothing walked
    assert partition_records(view, ROOT, DAY) == [("A", 1), ("B", 2), ("C", 3)] and len(walked) == 2
    disk.flip_bit(path, len(first) * 8 + 70)  # rot in the second frame: not its prefix, walked whole
    assert partition_records(view, ROOT, DAY) == [("A", 1)] and walked[-1] == len(first + second + third)
