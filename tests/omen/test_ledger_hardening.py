"""Specification of the reader's hardening: every damage ends typed, nothing damaged is yielded.

Each test crafts one kind of damage an outside probe found (or a crash cannot explain) and demands
LedgerCorruptionError (or ValueError for a bad name) from every entry point that meets it.
"""
from __future__ import annotations

import os
import struct
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from omen import LedgerCorruptionError, LedgerReader, LedgerWriter
from omen.ledger import is_partition_name, require_partition_name
from omen.ledger.framing import END_CORRUPT, HEADER_BYTES, TAIL_SEARCH_CRC_FACTOR, encode_frame, scan_frames
from tests.omen.damage import PARTITION, edit_payload, frames_of, rewrite, sealed_ledger, segment_path
from tests.omen.ledger_helpers import DAY_1, make_event

OVERFLOWING = b'"0001-01-01T00:30:00+01:00"'


def every_read(reader: LedgerReader) -> list:
    """Each reader entry point, as a thunk."""
    return [
        lambda: list(reader.read_partition(PARTITION)),
        lambda: [record.record for record in reader.scan_partition(PARTITION)],
        lambda: reader.query_by_category("weather"),
        lambda: reader.query_by_trace_ids(["x"]),
        lambda: reader.query_by_time_range(DAY_1 - timedelta(days=1), DAY_1 + timedelta(days=1)),
    ]


@pytest.mark.parametrize("field", [b'"observed_at":', b'"emitted_at":', b'"ledger_written_at":'])
def test_a_record_timestamp_that_overflows_on_conversion_to_utc_is_corruption_everywhere(root, clock, field):
    sealed_ledger(root, clock, records=3, per_segment=10, seal=False)
    path = segment_path(root)
    payload = frames_of(path.read_bytes())[2][1]
    start = payload.index(field) + len(field)
    old = payload[start : payload.index(b'"', start + 1) + 1]
    edit_payload(path, 2, field + old, field + OVERFLOWING)
    for read in every_read(LedgerReader(root)):
        with pytest.raises(LedgerCorruptionError) as caught:
            read()
        assert caught.value.segment == "segment-000001.log"
    with pytest.raises(LedgerCorruptionError):
        LedgerWriter(root, clock=clock).write(make_event(50))  # recovery parses the last record


def test_a_manifest_timestamp_that_overflows_is_corruption_for_reader_and_writer(root, clock):
    sealed_ledger(root, clock)
    manifest = Path(root, PARTITION, "_manifest.json")
    data = manifest.read_bytes()
    start = data.index(b'"updated_at":') + len(b'"updated_at":')
    manifest.write_bytes(data[:start] + OVERFLOWING + data[data.index(b'"', start + 1) + 1 :])
    reader = LedgerReader(root)
    for read in [*every_read(reader), lambda: reader.get_partition_info(PARTITION)]:
        with pytest.raises(LedgerCorruptionError) as caught:
            read()
        assert caught.value.segment == "_manifest.json"
    with pytest.raises(LedgerCorruptionError):
        LedgerWriter(root, clock=clock).write(make_event(50))


def test_a_sequence_given_as_a_string_is_refused_not_coerced(root, clock):
    placed = sealed_ledger(root, clock, records=2, per_segment=10, seal=False)
    sequence = placed[1].ledger_sequence
    edit_payload(segment_path(root), 1, b'"ledger_sequence":%d' % sequence, b'"ledger_sequence":"%d"' % sequence)
    with pytest.raises(LedgerCorruptionError, match="not a ledger record"):
        list(LedgerReader(root).read_partition(PARTITION))


def test_a_manifest_count_given_as_a_string_is_refused(root, clock):
    sealed_ledger(root, clock)
    manifest = Path(root, PARTITION, "_manifest.json")
    manifest.write_bytes(manifest.read_bytes().replace(b'"highwater_sequence":6', b'"highwater_sequence":"6"'))
    with pytest.raises(LedgerCorruptionError, match="manifest does not parse"):
        LedgerReader(root).get_partition_info(PARTITION)


@pytest.mark.parametrize("damage", ["emptied", "cut_on_a_frame_boundary", "a_middle_frame_removed"])
def test_a_sealed_segment_is_held_to_the_manifests_count_and_size(root, clock, damage):
    sealed_ledger(root, clock, records=6, per_segment=3)
    path = segment_path(root, 1)
    frames = frames_of(path.read_bytes())
    kept = {"emptied": [], "cut_on_a_frame_boundary": frames[:2], "a_middle_frame_removed": [frames[0], frames[2]]}[damage]
    rewrite(path, b"".join(encode_frame(payload) for _, payload in kept))
    reader = LedgerReader(root)
    with pytest.raises(LedgerCorruptionError, match="manifest says"):
        list(reader.read_partition(PARTITION))
    with pytest.raises(LedgerCorruptionError, match="manifest says"):
        reader.get_partition_info(PARTITION)


def test_a_missing_sealed_segment_is_corruption(root, clock):
    sealed_ledger(root, clock, records=6, per_segment=3)
    path = segment_path(root, 1)
    os.chmod(path, 0o644)
    path.unlink()
    with pytest.raises(LedgerCorruptionError, match="missing"):
        LedgerReader(root).get_partition_info(PARTITION)


def test_a_sealed_segment_of_an_unsealed_partition_is_held_to_its_manifest_entry(root, clock):
    sealed_ledger(root, clock, records=5, per_segment=3, seal=False)  # segment 1 sealed by the rollover
    path = segment_path(root, 1)
    rewrite(path, b"".join(encode_frame(payload) for _, payload in frames_of(path.read_bytes())[:2]))
    with pytest.raises(LedgerCorruptionError, match="manifest says 3 in"):
        LedgerReader(root).get_partition_info(PARTITION)


@pytest.mark.parametrize("order", [[0, 0, 1, 2], [1, 0, 2], [0, 2, 1]])
def test_a_duplicated_or_swapped_frame_is_corruption_not_a_record(root, clock, order):
    sealed_ledger(root, clock, records=3, per_segment=10, seal=False)
    path = segment_path(root)
    frames = frames_of(path.read_bytes())
    rewrite(path, b"".join(encode_frame(frames[i][1]) for i in order))
    reader = LedgerReader(root)
    for read in (lambda: list(reader.read_partition(PARTITION)), lambda: list(reader.scan_partition(PARTITION)),
                 lambda: reader.get_partition_info(PARTITION)):
        with pytest.raises(LedgerCorruptionError, match="sequences strictly increase"):
            read()


def test_a_frame_repeated_across_segments_is_corruption(root, clock):
    sealed_ledger(root, clock, records=4, per_segment=2, seal=False)
    first, second = segment_path(root, 1), segment_path(root, 2)
    frames = frames_of(first.read_bytes())
    rewrite(second, encode_frame(frames[1][1]) + second.read_bytes())
    with pytest.raises(LedgerCorruptionError, match="follows"):
        list(LedgerReader(root).scan_partition(PARTITION))


def crafted_tail(size_bytes: int) -> bytes:
    """A tail whose every 4-byte-aligned length field points inside it: the quadratic case."""
    words = []
    for index in range(size_bytes // 4):
        remaining = size_bytes - 4 * index - HEADER_BYTES
        words.append(struct.pack(">I", max(1, remaining)))
    return b"".join(words)


def test_the_torn_tail_search_does_linear_work_on_a_crafted_one_mib_tail():
    size_bytes = 1024 * 1024
    tail = crafted_tail(size_bytes)
    data = b"\x00\x00\x00\x05bogus" + tail  # a bad frame, then the tail
    scan = scan_frames(data, 2 * size_bytes, tolerate_torn_tail=True)  # the tail fits one maximal frame
    assert scan.end == END_CORRUPT
    # the work is bounded by a constant times the bytes, not their square (which is ~5e11 here)
    assert scan.checked_bytes <= TAIL_SEARCH_CRC_FACTOR * len(data)
    assert "frame-like headers" in scan.reason


def test_reading_and_recovering_a_crafted_tail_is_linear_in_the_segment(root, clock):
    sealed_ledger(root, clock, records=2, per_segment=10, seal=False)
    path = segment_path(root)
    rewrite(path, path.read_bytes() + crafted_tail(256 * 1024))
    with pytest.raises(LedgerCorruptionError, match="frame-like headers"):
        list(LedgerReader(root).read_partition(PARTITION))
    with pytest.raises(LedgerCorruptionError, match="frame-like headers"):
        LedgerWriter(root, clock=clock).write(make_event(60))


def test_a_plain_torn_tail_is_still_tolerated(root, clock):
    placed = sealed_ledger(root, clock, records=3, per_segment=10, seal=False)
    path = segment_path(root)
    data = path.read_bytes()
    rewrite(path, data + encode_frame(b'{"half":"a record"}')[:-5])
    assert [r.event.signal_id for r in LedgerReader(root).read_partition(PARTITION)] == [p.signal_id for p in placed]


def test_reader_and_writer_agree_on_a_read_only_last_segment_with_a_damaged_last_frame(root, clock):
    sealed_ledger(root, clock, records=3, per_segment=10, seal=False)
    path = segment_path(root)
    data = bytearray(path.read_bytes())
    data[-3] ^= 0x01
    rewrite(path, bytes(data))
    os.chmod(path, 0o444)  # a kill after the rollover made it read-only, before the next segment existed
    with pytest.raises(LedgerCorruptionError):
        list(LedgerReader(root).read_partition(PARTITION))
    with pytest.raises(LedgerCorruptionError):
        LedgerWriter(root, clock=clock).write(make_event(70))


@pytest.mark.parametrize("name", ["2026-03-01\n", "2026-03-01-late\n", " 2026-03-01", "2026-03-01/..",
                                  "2026-13-01", "２０２６-03-01", "../2026-03-01", 20260301, None])
def test_partition_names_are_matched_whole(root, name):
    assert not is_partition_name(name)
    with pytest.raises(ValueError, match="not a ledger partition"):
        require_partition_name(name)
    reader = LedgerReader(root)
    with pytest.raises(ValueError):
        list(reader.read_partition(name))
    with pytest.raises(ValueError):
        reader.get_partition_info(name)
    with pytest.raises(ValueError):
        reader.salvage_partition(name)


def test_a_directory_with_a_newline_in_its_name_is_not_listed_as_a_partition(root, clock):
    sealed_ledger(root, clock, records=1)
    os.mkdir(os.path.join(root, "2026-03-02\n"))
    assert LedgerReader(root).list_partitions() == [PARTITION]


def test_scan_partition_defers_validation_but_not_the_crc(root, clock):
    placed = sealed_ledger(root, clock, records=3, per_segment=10, seal=False)
    scanned = list(LedgerReader(root).scan_partition(PARTITION))
    assert [(r.sequence, r.signal_id) for r in scanned] == [(p.ledger_sequence, p.signal_id) for p in placed]
    assert [r.record.event for r in scanned] == placed
    path = segment_path(root)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x40  # the middle frame: a CRC that fails, followed by a valid frame
    rewrite(path, bytes(data))
    with pytest.raises(LedgerCorruptionError):
        list(LedgerReader(root).scan_partition(PARTITION))


def test_a_scanned_record_whose_bytes_disagree_with_its_parse_is_corruption(root, clock):
    sealed_ledger(root, clock, records=2, per_segment=10, seal=False)
    # a payload with a second "signal_id" key is ambiguous to the byte reader: it falls back to parsing
    edit_payload(segment_path(root), 1, b'"payload":{', b'"payload":{"signal_id":"OMEN-FAKE",')
    scanned = list(LedgerReader(root).scan_partition(PARTITION))
    assert scanned[1].signal_id == scanned[1].record.event.signal_id != "OMEN-FAKE"


def test_a_record_for_another_partition_is_corruption(root, clock):
    sealed_ledger(root, clock, records=2, per_segment=10, seal=False)
    edit_payload(segment_path(root), 1, b'"ledger_partition":"2026-03-01"', b'"ledger_partition":"2026-03-02"')
    with pytest.raises(LedgerCorruptionError, match="claims partition|not a ledger record"):
        list(LedgerReader(root).read_partition(PARTITION))


def test_overflow_free_records_far_in_the_past_still_read(root):
    clock_far = type("Clock", (), {"now": lambda self: datetime(1, 1, 2, tzinfo=timezone.utc)})()
    writer = LedgerWriter(root, clock=clock_far)
    placed = writer.write(make_event(1, datetime(1, 1, 2, tzinfo=timezone.utc)))
    writer.close()
    assert [r.event for r in LedgerReader(root).read_partition("0001-01-02")] == [placed]
