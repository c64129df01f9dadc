"""Specification of LedgerReader: listing, info for reconcile, queries, and its corruption rule."""
from __future__ import annotations

import os
import struct
from datetime import timedelta

import pytest

from omen import LedgerCorruptionError, LedgerReader, LedgerWriter, PartitionInfo
from omen.ledger.framing import HEADER_BYTES

from tests.omen.ledger_helpers import DAY_1, make_event


@pytest.fixture
def three_days(root, clock):
    writer = LedgerWriter(root, clock=clock, segment_max_records=2)
    placed = []
    for i in range(9):
        placed.append(writer.write(make_event(i, DAY_1 + timedelta(days=i % 3, minutes=i), "cat-a" if i % 2 else "cat-b")))
    writer.seal_partition("2026-03-01")
    placed.append(writer.write(make_event(99, DAY_1, "cat-a")))
    writer.close()
    return placed


def test_an_absent_root_has_no_partitions_and_an_absent_partition_is_empty(root):
    reader = LedgerReader(root)
    assert reader.list_partitions() == []
    assert list(reader.read_partition("2026-03-01")) == []
    assert reader.get_partition_highwater("2026-03-01") == 0


def test_partitions_are_listed_sorted_with_the_late_one_after_its_main(root, three_days):
    assert LedgerReader(root).list_partitions() == ["2026-03-01", "2026-03-01-late", "2026-03-02", "2026-03-03"]


def test_partition_info_reports_sealed_late_highwater_revision_and_counts(root, three_days):
    reader = LedgerReader(root)
    sealed = reader.get_partition_info("2026-03-01")
    assert isinstance(sealed, PartitionInfo)
    assert (sealed.is_sealed, sealed.is_late, sealed.highwater_sequence, sealed.record_count) == (True, False, 3, 3)
    assert sealed.segments == ("segment-000001.log", "segment-000002.log")
    late = reader.get_partition_info("2026-03-01-late")
    assert (late.is_sealed, late.is_late, late.highwater_sequence, late.record_count) == (False, True, 1, 1)
    assert late.manifest_revision >= 2
    open_day = reader.get_partition_info("2026-03-02")
    assert (open_day.is_sealed, open_day.highwater_sequence, open_day.record_count) == (False, 3, 3)


def test_queries_by_time_range_trace_ids_and_category_return_the_matching_records(root, three_days):
    reader = LedgerReader(root)
    in_day_2 = reader.query_by_time_range(DAY_1 + timedelta(days=1) - timedelta(hours=1), DAY_1 + timedelta(days=1, hours=1))
    assert sorted(r.event.event_id for r in in_day_2) == ["evt-1", "evt-4", "evt-7"]
    wanted = {three_days[0].trace_id, three_days[5].trace_id}
    assert sorted(r.event.trace_id for r in reader.query_by_trace_ids(wanted)) == sorted(wanted)
    assert {r.event.category for r in reader.query_by_category("cat-a")} == {"cat-a"}
    assert len(reader.query_by_category("cat-a")) == 5


def test_a_length_field_above_the_frame_limit_is_corruption_not_an_allocation(root, clock):
    writer = LedgerWriter(root, clock=clock)
    writer.write(make_event(1))
    writer.write(make_event(2))
    writer.seal_partition("2026-03-01")
    path = os.path.join(root, "2026-03-01", "segment-000001.log")
    os.chmod(path, 0o644)
    with open(path, "r+b") as f:
        f.write(struct.pack(">I", 0xFFFFFFF0))
    with pytest.raises(LedgerCorruptionError) as caught:
        list(LedgerReader(root).read_partition("2026-03-01"))
    assert caught.value.offset_bytes == 0
    assert "above the limit" in str(caught.value)


def test_a_reader_with_a_smaller_frame_limit_than_the_writer_reports_corruption(root, clock):
    writer = LedgerWriter(root, clock=clock)
    writer.write(make_event(1))
    writer.write(make_event(2))
    with pytest.raises(LedgerCorruptionError):
        list(LedgerReader(root, frame_max_bytes=64).read_partition("2026-03-01"))


def test_a_torn_tail_is_tolerated_only_in_the_active_segment(root, clock):
    writer = LedgerWriter(root, clock=clock, segment_max_records=2)
    for i in range(3):
        writer.write(make_event(i))
    writer.close()
    sealed_path = os.path.join(root, "2026-03-01", "segment-000001.log")
    os.chmod(sealed_path, 0o644)
    os.truncate(sealed_path, os.path.getsize(sealed_path) - HEADER_BYTES)
    with pytest.raises(LedgerCorruptionError) as caught:
        list(LedgerReader(root).read_partition("2026-03-01"))
    assert caught.value.segment == "segment-000001.log"


def test_an_unreadable_manifest_is_reported_as_corruption(root, clock):
    writer = LedgerWriter(root, clock=clock)
    writer.write(make_event(1))
    with open(os.path.join(root, "2026-03-01", "_manifest.json"), "w") as f:
        f.write("{not json")
    with pytest.raises(LedgerCorruptionError) as caught:
        LedgerReader(root).get_partition_info("2026-03-01")
    assert caught.value.segment == "_manifest.json"
