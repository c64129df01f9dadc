"""Crash leftovers the writer must recover from on open, unaided (the `recoverability` invariant, docs/scenarios-and-invariants.md)."""
from __future__ import annotations

import os
import stat
from datetime import datetime, timezone

import pytest

import omen
import omen.ledger
from omen import FixedClock, LedgerReader, LedgerWriter, SystemClock

from tests.omen.ledger_helpers import make_event

PART = "2026-03-01"


def test_a_crash_after_sealing_the_old_segment_but_before_creating_the_new_one_continues_in_a_new_segment(root, clock):
    writer = LedgerWriter(root, clock=clock)
    writer.write(make_event(1))
    writer.write(make_event(2))
    writer.close()
    os.chmod(os.path.join(root, PART, "segment-000001.log"), 0o444)
    placed = LedgerWriter(root, clock=clock).write(make_event(3))
    assert placed.ledger_sequence == 3
    assert sorted(n for n in os.listdir(os.path.join(root, PART)) if n.startswith("segment")) == [
        "segment-000001.log", "segment-000002.log"]
    assert [r.sequence for r in LedgerReader(root).read_partition(PART)] == [1, 2, 3]


def test_a_crash_after_creating_the_new_segment_but_before_sealing_the_old_one_completes_the_rollover(root, clock):
    writer = LedgerWriter(root, clock=clock)
    writer.write(make_event(1))
    writer.close()
    os.close(os.open(os.path.join(root, PART, "segment-000002.log"), os.O_WRONLY | os.O_CREAT, 0o644))
    # on open the writer seals segment 1, drops the empty segment 2 and recreates it on append
    placed = LedgerWriter(root, clock=clock).write(make_event(2))
    old_mode = stat.S_IMODE(os.stat(os.path.join(root, PART, "segment-000001.log")).st_mode)
    assert old_mode == 0o444
    assert placed.ledger_sequence == 2
    assert [r.sequence for r in LedgerReader(root).read_partition(PART)] == [1, 2]


def test_an_empty_active_segment_left_by_a_crash_is_removed_and_recreated_on_the_next_write(root, clock):
    writer = LedgerWriter(root, clock=clock, segment_max_records=1)
    writer.write(make_event(1))
    writer.write(make_event(2))
    writer.close()
    os.truncate(os.path.join(root, PART, "segment-000002.log"), 0)
    writer = LedgerWriter(root, clock=clock, segment_max_records=1)
    assert writer.write(make_event(3)).ledger_sequence == 2
    assert [r.event.event_id for r in LedgerReader(root).read_partition(PART)] == ["evt-1", "evt-3"]


def test_a_manifest_highwater_ahead_of_the_segments_is_a_floor_so_numbers_are_not_reused(root, clock):
    writer = LedgerWriter(root, clock=clock)
    writer.seal_partition(PART)
    late = "2026-03-01-late"
    for i in range(3):
        writer.write(make_event(i))
    writer.close()
    path = os.path.join(root, late, "segment-000001.log")
    os.truncate(path, os.path.getsize(path) * 2 // 3)  # drop the last record; the manifest still says 3
    assert LedgerWriter(root, clock=clock).write(make_event(9)).ledger_sequence == 4


def test_the_public_api_is_importable_from_omen_and_omen_ledger():
    for name in ("SignalEvent", "LedgerRecord", "LedgerWriter", "LedgerReader", "LedgerWriteError",
                 "LedgerCorruptionError", "PartitionInfo", "Manifest"):
        assert hasattr(omen, name), name
    for name in ("LedgerWriter", "LedgerReader", "LedgerWriteError", "LedgerCorruptionError", "PartitionInfo"):
        assert getattr(omen.ledger, name) is getattr(omen, name)


def test_the_system_clock_reads_aware_utc_and_the_fixed_clock_refuses_naive_times():
    assert SystemClock().now().tzinfo is not None
    with pytest.raises(ValueError):
        FixedClock(datetime(2026, 1, 1))
    clock = FixedClock(datetime(2026, 1, 1, tzinfo=timezone.utc))
    assert clock.advance(hours=25) == datetime(2026, 1, 2, 1, tzinfo=timezone.utc)
    with pytest.raises(ValueError):
        clock.advance(seconds=-1)
