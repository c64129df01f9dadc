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
    assert events[-1] == everything and everything["clean"] is False  # the rotted frame is not clean
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
    assert events == [everything] and everything["clean"] is False  # both segments end torn
    disk.flip_bit(f"{ROOT}/q/{names[0]}", 8 * 12)  # rot: compared whole, walked again
    _write(disk, f"{ROOT}/q/_manifest.json", _manifest(2, names))
    observer.observe()
    everything = manifest_facts("q", _manifest(2, names), segments(SimDiskView(disk), ROOT, "q"))
    assert events[-1] == everything and everything["records"] == 1 and len(walked) == 3


class PerPathView(SimDiskView):
    """The simulated disk's view without its directory-wide look: every file asked by its path."""

    __slots__ = ()

    def __init__(self, disk: SimDisk) -> None:
        super().__init__(disk)
        del self.files_in


def test_the_directory_wide_look_answers_what_asking_each_path_answers_over_any_history() -> None:
    for seed in range(20):
        rng = random.Random(seed)
        disk = SimDisk(random.Random(seed))
        for directory in (ROOT, f"{ROOT}/p", f"{ROOT}/p/segment-000009.log"):  # a directory named as a segment
            disk.mkdir(directory)
        names = [f"segment-00000{i}.log" for i in range(1, 6)]
        for _ in range(40):
            name = rng.choice(names)
            path = f"{ROOT}/p/{name}"
            action = rng.randrange(5)
            if action == 0:
                _write(disk, path, frame(name[8:14], rng.randrange(1, 9)) * rng.randrange(1, 3))
            elif action == 1 and disk.visible_size(path):
                disk.flip_bit(path, rng.randrange(disk.visible_size(path) * 8))
            elif action == 2 and disk.visible_size(path) is not None:
                disk.unlink(path)
            elif action == 3 and disk.visible_size(path) is not None:
                fd = disk.open(path, os.O_WRONLY | os.O_APPEND)
                disk.write(fd, b"tail")
                disk.close(fd)
            looked = disk.visible_files_in(f"{ROOT}/p")
            assert looked == {
                entry: (disk.visible_version(f"{ROOT}/p/{entry}"), disk.visible_size(f"{ROOT}/p/{entry}"))
                for entry in disk.visible_names(f"{ROOT}/p") if disk.visible_size(f"{ROOT}/p/{entry}") is not None}
        assert disk.visible_files_in(f"{ROOT}/missing") is None
        assert disk.visible_files_in(f"{ROOT}/p/segment-000009.log") == {}  # a directory: none of its files


def test_the_observer_records_the_same_events_with_the_directory_wide_look_and_without() -> None:
    for seed in range(10):
        rng = random.Random(seed)
        disk = SimDisk(random.Random(seed))
        for directory in (ROOT, f"{ROOT}/p"):
            disk.mkdir(directory)
        batched: list[dict] = []
        per_path: list[dict] = []
        observers = (ManifestObserver(SimDiskView(disk), ROOT, lambda node, kind, **fields: batched.append(fields) or 0),
                     ManifestObserver(PerPathView(disk), ROOT, lambda node, kind, **fields: per_path.append(fields) or 0))
        names: list[str] = []
        for revision in range(1, 30):
            if not names or rng.random() < 0.3:
                names.append(f"segment-{len(names) + 1:06d}.log")
                _write(disk, f"{ROOT}/p/{names[-1]}", frame(f"S{revision}", revision))
            elif rng.random() < 0.3:
                target = f"{ROOT}/p/{rng.choice(names)}"
                disk.flip_bit(target, rng.randrange(disk.visible_size(target) * 8))
            _write(disk, f"{ROOT}/p/_manifest.json", _manifest(revision, names))
            for observer in observers:
                observer.observe()
        assert batched == per_path and len(batched) == 29


def test_an_open_days_event_says_clean_instead_of_listing_every_segment_twice() -> None:
    """An open main day's manifest changes at every rollover: its event carries no segment lists
    (the trace would grow as the square of the day's segments), only whether every segment file is
    valid frames end to end. A late or sealed day's event keeps both lists."""
    disk = SimDisk(random.Random(4))
    for directory in (ROOT, f"{ROOT}/p", f"{ROOT}/p-late"):
        disk.mkdir(directory)
    names = ["segment-000001.log", "segment-000002.log"]
    for partition in ("p", "p-late"):
        for sequence, name in enumerate(names, start=1):
            _write(disk, f"{ROOT}/{partition}/{name}", frame(f"{partition}{sequence}", sequence))
        _write(disk, f"{ROOT}/{partition}/_manifest.json", _manifest(1, names))
    events: list[dict] = []
    ManifestObserver(SimDiskView(disk), ROOT, lambda node, kind, **fields: events.append(fields) or 0).observe()
    open_day, late_day = sorted(events, key=lambda fields: fields["partition"])
    assert "segments" not in open_day and "claimed_segments" not in open_day
    assert open_day["clean"] is True and (open_day["records"], open_day["highwater"]) == (2, 2)
    assert [entry[3] for entry in late_day["segments"]] == [True, True] and "clean" not in late_day
    assert len(late_day["claimed_segments"]) == 2
