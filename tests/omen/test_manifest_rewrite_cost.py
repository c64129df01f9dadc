"""The writer's manifest rewrite keeps each sealed segment's entry, and writes the same bytes.

A rollover rewrites the manifest, which lists every segment of the partition. The writer builds the
entries of sealed segments once (`omen.ledger.manifest_entries`), so a rollover's model work does
not grow with the day; the bytes on disk must be exactly the full model's `to_bytes()`, at every
rewrite: rollovers, a seal, a late partition, and a new writer recovering the same files.
"""
from __future__ import annotations

import random
from datetime import timedelta

from omen import FixedClock, LedgerWriter
from omen.ledger import manifest_entries
from omen.ledger.layout import MANIFEST_NAME, partition_dir
from omen.ledger import writer as writer_module
from omen.ledger.manifest import Manifest, SegmentEntry, parse_manifest
from sim.disk import SimDisk
from tests.omen.ledger_helpers import DAY_1, make_event

ROOT = "/ledger"


def reference_manifest(writer: LedgerWriter, directory: str) -> Manifest:
    """The manifest the writer's state describes as it replaces it, built the plain way: every
    entry afresh, the whole model validated (what `_write_manifest` built before it kept entries)."""
    state = next(state for state in writer._partitions.values() if state.path == directory)
    return Manifest(
        partition=state.name, is_late=state.is_late, sealed=state.sealed, revision=state.revision + 1,
        highwater_sequence=state.highwater, record_count=sum(s.record_count for s in state.segments),
        segments=tuple(SegmentEntry(name=s.name, record_count=s.record_count, size_bytes=s.size_bytes,
                                    sealed=s.sealed) for s in state.segments),
        updated_at=writer._clock.now(), sealed_at=state.sealed_at,
    )


class ManifestChecker:
    """Wraps the writer's atomic replace: every manifest written must be the reference's bytes."""

    def __init__(self, monkeypatch) -> None:  # noqa: ANN001
        self.writer: LedgerWriter | None = None
        self.manifests_checked = 0
        original = writer_module.replace_atomically

        def checked_replace(fs, directory, name, data):  # noqa: ANN001, ANN202
            if name == MANIFEST_NAME:
                assert self.writer is not None
                assert data == reference_manifest(self.writer, directory).to_bytes()
                self.manifests_checked += 1
            return original(fs, directory, name, data)

        monkeypatch.setattr(writer_module, "replace_atomically", checked_replace)


def assert_state_holds_the_manifest_on_disk(writer: LedgerWriter, disk: SimDisk, partition: str) -> None:
    state = writer._partitions[partition]
    data = manifest_on_disk(disk, partition)
    assert state.manifest == parse_manifest(data, partition) and state.manifest.to_bytes() == data


def manifest_on_disk(disk: SimDisk, partition: str) -> bytes:
    fd = disk.open(f"{partition_dir(ROOT, partition)}/{MANIFEST_NAME}", 0)
    try:
        return disk.read(fd, 1 << 20)
    finally:
        disk.close(fd)


def test_every_rewrite_writes_the_full_models_bytes_through_rollovers_seal_and_late_growth(monkeypatch):
    checker = ManifestChecker(monkeypatch)
    clock = FixedClock(DAY_1 + timedelta(minutes=5))
    disk = SimDisk(random.Random(1))
    writer = checker.writer = LedgerWriter(ROOT, fs=disk, clock=clock, segment_max_records=3)
    day = DAY_1.date().isoformat()
    for index in range(20):  # 7 segments: seven manifest rewrites
        clock.set(DAY_1 + timedelta(minutes=5, seconds=index))
        writer.write(make_event(index))
        assert_state_holds_the_manifest_on_disk(writer, disk, day)
    assert checker.manifests_checked == 7 and len(writer._partitions[day].segments) == 7
    sealed = writer.seal_partition(day)
    assert sealed.sealed and all(entry.sealed for entry in sealed.segments)
    assert_state_holds_the_manifest_on_disk(writer, disk, day)
    for index in range(20, 27):  # after the seal: the late partition, its manifest rewritten per append
        writer.write(make_event(index))
        assert_state_holds_the_manifest_on_disk(writer, disk, day + "-late")
    assert checker.manifests_checked == 8 + 7 + 3  # the seal, one per late append, three late rollovers
    writer.close()

    reopened = checker.writer = LedgerWriter(ROOT, fs=disk, clock=clock, segment_max_records=3)
    for index in range(27, 35):  # recovery rebuilt the segment list: the kept entries start again
        reopened.write(make_event(index))
        assert_state_holds_the_manifest_on_disk(reopened, disk, day + "-late")
    assert checker.manifests_checked > 18


def test_the_sealed_entries_are_built_once_each_and_rebuilt_after_a_recovery(monkeypatch):
    checker = ManifestChecker(monkeypatch)
    built: list[str] = []
    original = manifest_entries.entry_of

    def counting_entry_of(segment):  # noqa: ANN001, ANN202
        built.append(segment.name)
        return original(segment)

    monkeypatch.setattr(manifest_entries, "entry_of", counting_entry_of)
    monkeypatch.setattr(manifest_entries, "_entries_made", {})  # no entry made by an earlier test
    clock = FixedClock(DAY_1 + timedelta(minutes=5))
    disk = SimDisk(random.Random(2))
    writer = checker.writer = LedgerWriter(ROOT, fs=disk, clock=clock, segment_max_records=2)
    for index in range(40):  # 20 segments, 20 manifest rewrites
        writer.write(make_event(index))
    # each rewrite builds the active segment's entry, and the entry of the one sealed just before it
    assert len(built) == 20 + 19, built
    assert len(set(built)) == 20
    day = DAY_1.date().isoformat()
    writer._partitions[day].needs_recovery = True  # what a failed append leaves
    built.clear()
    writer.write(make_event(40))  # recovery, then a rollover: every entry again, from the new list
    # the 19 segments sealed before keep the entries built before (same values, a frozen model: the
    # memo of `entry_and_json`); only the one the rollover sealed now and the new active one are built
    assert built == ["segment-000020.log", "segment-000021.log"]
    assert checker.manifests_checked == 21
    assert_state_holds_the_manifest_on_disk(writer, disk, day)


def test_manifest_bytes_splice_the_entries_into_the_header():
    header = Manifest(partition="2026-03-01", is_late=False, sealed=False, revision=3, highwater_sequence=5,
                      record_count=5, segments=(), updated_at=DAY_1)
    entries = (SegmentEntry(name="segment-000001.log", record_count=3, size_bytes=90, sealed=True),
               SegmentEntry(name="segment-000002.log", record_count=2, size_bytes=60, sealed=False))
    full = header.model_copy(update={"segments": entries})
    assert manifest_entries.manifest_bytes(header, [manifest_entries.entry_json(e) for e in entries]) == full.to_bytes()
    assert manifest_entries.manifest_bytes(header, []) == header.to_bytes()


def test_a_header_with_its_segments_is_model_copy_of_it():
    """`with_segments` is `model_copy(update={"segments": ...})`: fields, fields-set, extra, private,
    bytes; the header is untouched; and `manifest_header` / `entry_of` are the constructors."""
    for sealed_at in (None, DAY_1 + timedelta(hours=25)):
        fields = dict(partition="2026-03-01", is_late=sealed_at is None, sealed=sealed_at is not None, revision=3,
                      highwater_sequence=5, record_count=5, segments=(), updated_at=DAY_1, sealed_at=sealed_at)
        header = manifest_entries.manifest_header(dict(fields))
        assert header == Manifest(**fields) and header.__getstate__() == Manifest(**fields).__getstate__()
        entries = (SegmentEntry(name="segment-000001.log", record_count=3, size_bytes=90, sealed=True),
                   manifest_entries.entry_of(type("S", (), dict(name="segment-000002.log", record_count=2,
                                                                size_bytes=60, sealed=False))()))
        assert entries[1].__getstate__() == SegmentEntry(name="segment-000002.log", record_count=2, size_bytes=60,
                                                         sealed=False).__getstate__()
        reference = header.model_copy(update={"segments": entries})
        built = manifest_entries.with_segments(header, entries)
        assert built.__getstate__() == reference.__getstate__() and built == reference
        assert built.__pydantic_fields_set__ is not header.__pydantic_fields_set__
        assert built.to_bytes() == reference.to_bytes() and built.segments is entries
        assert header.segments == () and header == Manifest(**fields)


def test_a_remembered_header_is_the_one_its_fields_build():
    """`manifest_header_and_json` gives what `manifest_header` and `_header_json` give for the same
    fields, built or remembered; a value of another type that compares equal (True == 1, another
    zone for the same instant) is never answered with a header made for the other."""
    from datetime import timezone as tz

    manifest_entries._headers_made.clear()
    fields = dict(partition="2026-03-01", is_late=False, sealed=False, revision=3, highwater_sequence=5,
                  record_count=5, segments=(), updated_at=DAY_1, sealed_at=None)
    for _ in range(2):  # built, then remembered
        header, data = manifest_entries.manifest_header_and_json(dict(fields))
        assert header.__getstate__() == manifest_entries.manifest_header(dict(fields)).__getstate__()
        assert data == manifest_entries._header_json(header)
    assert len(manifest_entries._headers_made) == 1
    as_int = dict(fields, is_late=0)  # validates to False, but is not the same key
    manifest_entries.manifest_header_and_json(as_int)
    assert len(manifest_entries._headers_made) == 2
    other_zone = dict(fields, updated_at=DAY_1.astimezone(tz(timedelta(hours=1))))  # equal instant
    header, data = manifest_entries.manifest_header_and_json(other_zone)
    assert len(manifest_entries._headers_made) == 2, "a datetime outside timezone.utc is built afresh"
    assert header.__getstate__() == manifest_entries.manifest_header(dict(other_zone)).__getstate__()
    assert data == manifest_entries._header_json(header)
