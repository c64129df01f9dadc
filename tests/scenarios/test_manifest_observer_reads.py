"""The manifest observer reads a segment again only when what reads see of it may have changed.

A long day holds thousands of sealed segments and its manifest changes at every rollover; reading
every segment at each change made the observer's cost grow with the day. Its events must stay what
reading everything gives, rot included.
"""
from __future__ import annotations

import json
import os
import random

from scenarios.ledger_oracle import valid_frame_index
from scenarios.observers import ManifestObserver, SimDiskView, ledger_files, manifest_facts
from scenarios.observers.ledger_files import partition_records, segments
from sim.disk import SimDisk

from tests.scenarios.test_world_facts import frame

ROOT = "/ledger"


def _manifest(revision: int, names: list[str]) -> bytes:
    entries = [{"name": name, "record_count": 1, "size_bytes": len(frame("S", 1)), "sealed": True} for name in names]
    return json.dumps({"revision": revision, "sealed": False, "highwater_sequence": len(names),
                       "record_count": len(names), "segments": entries}).encode()


class CountingView(SimDiskView):
    __slots__ = ("reads",)

    def __init__(self, disk: SimDisk) -> None:
        super().__init__(disk)
        inner = self.read_bytes
        self.reads: list[str] = []

        def counted(path: str, start_bytes: int = 0) -> bytes | None:
            self.reads.append(path)
            return inner(path, start_bytes)

        self.read_bytes = counted


def _write(disk: SimDisk, path: str, data: bytes) -> None:
    fd = disk.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    disk.write(fd, data)
    disk.fsync(fd)
    disk.close(fd)


def test_unchanged_segments_are_not_read_again_and_rot_is_still_seen() -> None:
    disk = SimDisk(random.Random(2))
    for directory in (ROOT, f"{ROOT}/p"):
        disk.mkdir(directory)
    events: list[dict] = []
    view = CountingView(disk)
    observer = ManifestObserver(view, ROOT, lambda node, kind, **fields: events.append(fields) or 0)
    names = [f"segment-00000{i}.log" for i in range(1, 4)]
    for sequence, name in enumerate(names, start=1):
        _write(disk, f"{ROOT}/p/{name}", frame(f"S{sequence}", sequence))
    _write(disk, f"{ROOT}/p/_manifest.json", _manifest(1, names))
    observer.observe()
    _write(disk, f"{ROOT}/p/_manifest.json", _manifest(2, names))
    view.reads.clear()
    observer.observe()
    assert [path for path in view.reads if path.endswith(".log")] == []  # nothing moved: nothing read
    disk.flip_bit(f"{ROOT}/p/{names[1]}", 8 * 12)
    _write(disk, f"{ROOT}/p/_manifest.json", _manifest(3, names))
    view.reads.clear()
    observer.observe()
    assert [path for path in view.reads if path.endswith(".log")] == [f"{ROOT}/p/{names[1]}"]
    everything = manifest_facts("p", _manifest(3, names), segments(SimDiskView(disk), ROOT, "p"))
    assert events[-1] == everything and everything["segments"][1][3] is False  # the rotted frame is not clean
    assert [event["revision"] for event in events] == [1, 2, 3]


def test_segments_walked_for_partition_records_are_not_walked_again_for_the_manifest(monkeypatch) -> None:
    walked: list[int] = []

    def counted_index(data: bytes) -> tuple[list[tuple[str, int]], int]:
        walked.append(len(data))
        return valid_frame_index(data)

    monkeypatch.setattr(ledger_files, "valid_frame_index", counted_index)
    disk = SimDisk(random.Random(3))
    for directory in (ROOT, f"{ROOT}/q"):
        disk.mkdir(directory)
    events: list[dict] = []
    observer = ManifestObserver(SimDiskView(disk), ROOT, lambda node, kind, **fields: events.append(fields) or 0)
    names = ["segment-000001.log", "segment-000002.log"]
    for sequence, name in enumerate(names, start=1):
        _write(disk, f"{ROOT}/q/{name}", frame(f"Q{sequence}", sequence) + b"torn")
    assert partition_records(SimDiskView(disk), ROOT, "q") == [("Q1", 1), ("Q2", 2)] and len(walked) == 2
    _write(disk, f"{ROOT}/q/_manifest.json", _manifest(1, names))
    observer.observe()
    assert len(walked) == 2  # the same bytes: the walk the records made serves the manifest's facts
    everything = manifest_facts("q", _manifest(1, names), segments(SimDiskView(disk), ROOT, "q"))
    assert events == [everything] and [entry[3] for entry in everything["segments"]] == [False, False]
    disk.flip_bit(f"{ROOT}/q/{names[0]}", 8 * 12)  # rot: compared whole, walked again
    _write(disk, f"{ROOT}/q/_manifest.json", _manifest(2, names))
    observer.observe()
    everything = manifest_facts("q", _manifest(2, names), segments(SimDiskView(disk), ROOT, "q"))
    assert events[-1] == everything and everything["records"] == 1 and len(walked) == 3
