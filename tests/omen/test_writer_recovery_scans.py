"""Specification of the writer's memo of recovery scans: a failing recovery costs a read, not a CRC pass.

A partition whose sealed segment rotted cannot be recovered, so every write to its day tries
again and fails. Each attempt still reads every byte of every segment; only bytes equal to the
ones scanned before (under the same tail rule) reuse that scan, so the answer is the same error,
and a repair, a new tail or any other change is seen at the next attempt.
"""
from __future__ import annotations

import pytest

import omen.ledger.writer as writer_module
from omen import LedgerWriter
from omen.ledger import LedgerCorruptionError
from omen.ledger.framing import HEADER_BYTES
from tests.omen.damage import PARTITION, flip_bit, sealed_ledger, segment_path
from tests.omen.ledger_helpers import count_scans, make_event


@pytest.fixture
def scans(monkeypatch) -> list[int]:
    """One entry (the byte length) per segment the writer CRC-scans."""
    return count_scans(monkeypatch, writer_module)


def failure_of(writer: LedgerWriter, index: int) -> str:
    with pytest.raises(LedgerCorruptionError) as caught:
        writer.write(make_event(index))
    return str(caught.value)


def test_a_partition_that_cannot_be_recovered_fails_each_write_alike_without_scanning_again(root, clock, scans):
    sealed_ledger(root, clock, records=7, per_segment=3, seal=False)  # segments of 3, 3 and 1 records
    path = segment_path(root, 2)
    original = path.read_bytes()
    flip_bit(path, HEADER_BYTES + 5)  # rot in a sealed (read-only) segment: recovery must refuse
    writer = LedgerWriter(root, clock=clock, segment_max_records=3)
    first = failure_of(writer, 70)
    assert "segment-000002.log" in first and len(scans) == 2
    scans.clear()
    assert failure_of(writer, 71) == first
    assert scans == [], "the same rotten bytes: the scan is reused, the error is the same"
    path.chmod(0o644)
    path.write_bytes(original)  # the operator restores the segment
    path.chmod(0o444)
    placed = writer.write(make_event(72))
    assert placed.ledger_sequence == 8
    assert len(scans) == 2, "segment 2 (restored) and 3 (never reached) are scanned; segment 1 is reused"
    writer.close()


def test_a_recovering_writer_scans_every_segment_it_has_not_seen(root, clock, scans):
    sealed_ledger(root, clock, records=7, per_segment=3, seal=False)
    writer = LedgerWriter(root, clock=clock, segment_max_records=3)
    writer.write(make_event(70))
    assert len(scans) == 3, "a fresh writer knows no scan: every segment is checked"
    writer.close()


@pytest.fixture
def manifest_parses(monkeypatch) -> list[str]:
    """One entry (the partition) per manifest the writer parses."""
    calls: list[str] = []
    original = writer_module.parse_manifest

    def counted(data, partition):  # noqa: ANN001, ANN202
        calls.append(partition)
        return original(data, partition)

    monkeypatch.setattr(writer_module, "parse_manifest", counted)
    return calls


def test_a_failing_recovery_reads_the_manifest_each_time_but_parses_the_same_bytes_once(root, clock, manifest_parses):
    sealed_ledger(root, clock, records=7, per_segment=3, seal=False)
    flip_bit(segment_path(root, 2), HEADER_BYTES + 5)
    writer = LedgerWriter(root, clock=clock, segment_max_records=3)
    first = failure_of(writer, 70)
    assert manifest_parses == [PARTITION]
    assert failure_of(writer, 71) == first and manifest_parses == [PARTITION]
    manifest = segment_path(root, 1).parent / "_manifest.json"
    manifest.write_bytes(manifest.read_bytes().replace(b'"revision":', b'"revision": ', 1))  # same manifest, other bytes
    assert failure_of(writer, 72) == first
    assert manifest_parses == [PARTITION, PARTITION], "other bytes are parsed again"
    writer.close()


def test_a_damaged_manifest_fails_every_recovery_with_the_same_error(root, clock, manifest_parses):
    sealed_ledger(root, clock, records=4, per_segment=3, seal=False)
    manifest = segment_path(root, 1).parent / "_manifest.json"
    manifest.write_bytes(manifest.read_bytes()[:-9])
    writer = LedgerWriter(root, clock=clock, segment_max_records=3)
    first = failure_of(writer, 70)
    assert "_manifest.json" in first and failure_of(writer, 71) == first
    assert len(manifest_parses) == 2, "a failed parse is not remembered: it is tried again, and fails alike"
    writer.close()


def test_writers_sharing_a_memo_of_recovery_scans_scan_each_segment_once(root, clock, scans):
    sealed_ledger(root, clock, records=7, per_segment=3, seal=False)
    flip_bit(segment_path(root, 2), HEADER_BYTES + 5)
    shared = writer_module.recovery_scan_memo()
    first = LedgerWriter(root, clock=clock, segment_max_records=3, recovery_scans=shared)
    error = failure_of(first, 70)
    assert len(scans) == 2
    scans.clear()
    second = LedgerWriter(root, clock=clock, segment_max_records=3, recovery_scans=shared)
    assert failure_of(second, 71) == error and scans == [], "the other writer's scans of the same bytes"
    other_limit = LedgerWriter(root, clock=clock, segment_max_records=3, frame_max_bytes=4096, recovery_scans=shared)
    failure_of(other_limit, 72)
    assert len(scans) == 2, "a writer with another frame limit never takes an answer computed under this one"
    for writer in (first, second, other_limit):
        writer.close()


def test_writers_sharing_a_memo_of_manifests_parse_the_same_bytes_once(root, clock, manifest_parses):
    sealed_ledger(root, clock, records=7, per_segment=3, seal=False)
    flip_bit(segment_path(root, 2), HEADER_BYTES + 5)
    shared = writer_module.parsed_manifest_memo()
    first = LedgerWriter(root, clock=clock, segment_max_records=3, parsed_manifests=shared)
    error = failure_of(first, 70)
    assert manifest_parses == [PARTITION]
    second = LedgerWriter(root, clock=clock, segment_max_records=3, parsed_manifests=shared)
    assert failure_of(second, 71) == error and manifest_parses == [PARTITION], "the other writer's parse of the same bytes"
    manifest = segment_path(root, 1).parent / "_manifest.json"
    manifest.write_bytes(manifest.read_bytes().replace(b'"revision":', b'"revision": ', 1))  # same manifest, other bytes
    third = LedgerWriter(root, clock=clock, segment_max_records=3, parsed_manifests=shared)
    assert failure_of(third, 72) == error and manifest_parses == [PARTITION, PARTITION], "other bytes are parsed again"
    for writer in (first, second, third):
        writer.close()
