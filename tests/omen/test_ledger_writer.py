"""Specification of LedgerWriter on the real `os` (temp dirs) and an os wrapper that injects faults."""
from __future__ import annotations

import errno
import json
import os
import stat
from datetime import timedelta

import pytest

from omen import LedgerCorruptionError, LedgerReader, LedgerRecordTooLargeError, LedgerWriteError, LedgerWriter
from omen.ledger.framing import HEADER_BYTES

from tests.omen.ledger_helpers import DAY_1, WrappedFs, make_event


def segment_files(root: str, partition: str) -> list[str]:
    return sorted(n for n in os.listdir(os.path.join(root, partition)) if n.startswith("segment-"))


def sequences(root: str, partition: str) -> list[int]:
    return [r.sequence for r in LedgerReader(root).read_partition(partition)]


def test_write_returns_the_event_placed_in_its_utc_date_partition_with_sequence_and_written_at(root, clock):
    writer = LedgerWriter(root, clock=clock)
    placed = writer.write(make_event(1))
    assert placed.ledger_partition == "2026-03-01"
    assert placed.ledger_sequence == 1
    assert placed.ledger_written_at == clock.now()
    assert placed.signal_id == make_event(1).signal_id
    records = list(LedgerReader(root).read_partition("2026-03-01"))
    assert [r.event for r in records] == [placed]


def test_the_audit_crash_tail_three_records_truncated_inside_the_third_frame_reads_as_two(root, clock):
    writer = LedgerWriter(root, clock=clock)
    placed = [writer.write(make_event(i)) for i in range(3)]
    writer.close()
    path = os.path.join(root, "2026-03-01", "segment-000001.log")
    size = os.path.getsize(path)
    third_frame_bytes = size // 3  # all three frames encode to the same length here
    os.truncate(path, size - third_frame_bytes // 2)
    records = list(LedgerReader(root).read_partition("2026-03-01"))
    assert [r.event for r in records] == placed[:2]


def test_sequence_is_partition_wide_and_continues_over_rollovers_and_restarts(root, clock):
    written = []
    for restart in range(4):
        writer = LedgerWriter(root, clock=clock, segment_max_records=3)
        written += [writer.write(make_event(restart * 10 + i)).ledger_sequence for i in range(5)]
        writer.close()
    assert written == list(range(1, 21))
    assert sequences(root, "2026-03-01") == list(range(1, 21))
    assert len(segment_files(root, "2026-03-01")) >= 7


def test_rollover_by_size_seals_the_old_segment_read_only_and_points_current_at_the_new(root, clock):
    writer = LedgerWriter(root, clock=clock, segment_max_bytes=1500)
    for i in range(6):
        writer.write(make_event(i))
    names = segment_files(root, "2026-03-01")
    assert len(names) >= 2
    for name in names[:-1]:
        assert stat.S_IMODE(os.stat(os.path.join(root, "2026-03-01", name)).st_mode) == 0o444
        assert os.path.getsize(os.path.join(root, "2026-03-01", name)) <= 1500
    with open(os.path.join(root, "2026-03-01", "_CURRENT")) as current:
        assert current.read().strip() == names[-1]
    manifest = json.load(open(os.path.join(root, "2026-03-01", "_manifest.json")))
    assert manifest["revision"] >= len(names)
    assert [s["name"] for s in manifest["segments"]] == names


def test_restart_after_a_torn_tail_truncates_it_and_every_later_record_is_readable_in_order(root, clock):
    writer = LedgerWriter(root, clock=clock)
    first = [writer.write(make_event(i)) for i in range(3)]
    writer.close()
    path = os.path.join(root, "2026-03-01", "segment-000001.log")
    os.truncate(path, os.path.getsize(path) - 7)
    writer = LedgerWriter(root, clock=clock)
    later = [writer.write(make_event(100 + i)) for i in range(3)]
    assert [e.ledger_sequence for e in later] == [3, 4, 5]
    events = [r.event for r in LedgerReader(root).read_partition("2026-03-01")]
    assert events == first[:2] + later


def test_restart_handles_a_missing_an_empty_and_a_dangling_current_file(root, clock):
    writer = LedgerWriter(root, clock=clock, segment_max_records=2)
    for i in range(3):
        writer.write(make_event(i))
    writer.close()
    current = os.path.join(root, "2026-03-01", "_CURRENT")
    for damage in ("missing", "", "segment-000042.log\n"):
        if damage == "missing":
            os.unlink(current)
        else:
            with open(current, "w") as f:
                f.write(damage)
        writer = LedgerWriter(root, clock=clock, segment_max_records=2)
        writer.write(make_event(len(damage) + 50))
        writer.close()
        with open(current) as f:
            assert f.read().strip() == segment_files(root, "2026-03-01")[-1]
    assert sequences(root, "2026-03-01") == [1, 2, 3, 4, 5, 6]


def test_restart_removes_leftover_temp_files(root, clock):
    writer = LedgerWriter(root, clock=clock)
    writer.write(make_event(1))
    writer.close()
    leftover = os.path.join(root, "2026-03-01", "_manifest.json.tmp")
    with open(leftover, "w") as f:
        f.write("{half")
    LedgerWriter(root, clock=clock).write(make_event(2))
    assert not os.path.exists(leftover)


def test_one_write_into_an_existing_segment_is_exactly_one_write_and_one_fsync(root, clock):
    fs = WrappedFs()
    writer = LedgerWriter(root, fs=fs, clock=clock)
    writer.write(make_event(1))
    fs.calls.clear()
    writer.write(make_event(2))
    assert fs.calls == ["write", "fsync"]


def test_short_writes_are_looped_until_the_whole_frame_is_down(root, clock):
    fs = WrappedFs()
    fs.short_write_bytes = 7
    writer = LedgerWriter(root, fs=fs, clock=clock)
    placed = [writer.write(make_event(i)) for i in range(3)]
    assert [r.event for r in LedgerReader(root).read_partition("2026-03-01")] == placed


def test_disk_full_surfaces_as_ledger_write_error_carrying_the_os_error(root, clock):
    fs = WrappedFs()
    writer = LedgerWriter(root, fs=fs, clock=clock)
    writer.write(make_event(1))
    fs.fail("write", errno.ENOSPC)
    with pytest.raises(LedgerWriteError) as caught:
        writer.write(make_event(2))
    assert isinstance(caught.value.cause, OSError)
    assert caught.value.cause.errno == errno.ENOSPC


def test_a_failed_fsync_rolls_the_record_back_and_its_sequence_is_never_reused(root, clock):
    fs = WrappedFs()
    writer = LedgerWriter(root, fs=fs, clock=clock)
    writer.write(make_event(1))
    fs.fail("fsync", errno.EIO)
    with pytest.raises(LedgerWriteError):
        writer.write(make_event(2))
    assert [r.event.event_id for r in LedgerReader(root).read_partition("2026-03-01")] == ["evt-1"]
    third = writer.write(make_event(3))
    assert third.ledger_sequence == 3
    assert sequences(root, "2026-03-01") == [1, 3]


def test_when_the_rollback_also_fails_the_writer_keeps_refusing_until_it_can_repair(root, clock):
    fs = WrappedFs()
    writer = LedgerWriter(root, fs=fs, clock=clock)
    writer.write(make_event(1))
    fs.fail("fsync", errno.EIO)
    fs.fail("ftruncate", errno.EIO)
    with pytest.raises(LedgerWriteError):
        writer.write(make_event(2))
    fs.fail("ftruncate", errno.EIO)
    with pytest.raises(LedgerWriteError):
        writer.write(make_event(3))
    fourth = writer.write(make_event(4))
    assert [r.event.event_id for r in LedgerReader(root).read_partition("2026-03-01")] == ["evt-1", "evt-4"]
    assert fourth.ledger_sequence == 3  # 2 was handed out and burned; 3 was never handed out


def test_a_failure_while_creating_a_segment_leaves_a_ledger_that_later_writes_continue(root, clock):
    fs = WrappedFs()
    writer = LedgerWriter(root, fs=fs, clock=clock, segment_max_records=1)
    writer.write(make_event(1))
    fs.fail("replace", errno.ENOSPC)
    with pytest.raises(LedgerWriteError):
        writer.write(make_event(2))
    writer.write(make_event(3))
    writer.close()
    assert [r.event.event_id for r in LedgerReader(root).read_partition("2026-03-01")] == ["evt-1", "evt-3"]
    assert sequences(root, "2026-03-01") == [1, 3]
    assert LedgerWriter(root, clock=clock).write(make_event(4)).ledger_sequence == 4


def test_sealing_makes_segments_read_only_and_routes_later_records_to_the_late_partition(root, clock):
    writer = LedgerWriter(root, clock=clock)
    writer.write(make_event(1))
    manifest = writer.seal_partition("2026-03-01")
    assert manifest.sealed and manifest.highwater_sequence == 1 and manifest.record_count == 1
    for name in segment_files(root, "2026-03-01"):
        assert stat.S_IMODE(os.stat(os.path.join(root, "2026-03-01", name)).st_mode) == 0o444
    late = writer.write(make_event(2))
    assert (late.ledger_partition, late.ledger_sequence) == ("2026-03-01-late", 1)
    assert writer.seal_partition("2026-03-01") == manifest
    assert LedgerWriter(root, clock=clock).write(make_event(3)).ledger_partition == "2026-03-01-late"


def test_every_write_to_a_late_partition_grows_its_manifest_revision_and_highwater(root, clock):
    writer = LedgerWriter(root, clock=clock)
    writer.seal_partition("2026-03-01")
    reader = LedgerReader(root)
    seen = []
    for i in range(3):
        writer.write(make_event(i))
        info = reader.get_partition_info("2026-03-01-late")
        seen.append((info.highwater_sequence, info.manifest_revision))
        assert info.is_late and not info.is_sealed
    assert [h for h, _ in seen] == [1, 2, 3]
    assert seen[0][1] < seen[1][1] < seen[2][1]


def test_partitions_to_seal_are_main_days_ended_more_than_grace_ago_and_not_sealed(root, clock):
    writer = LedgerWriter(root, clock=clock)
    for day in range(3):
        writer.write(make_event(day, DAY_1 + timedelta(days=day)))
    writer.seal_partition("2026-03-01")
    writer.write(make_event(9))  # goes to 2026-03-01-late, which is never due
    now = DAY_1.replace(hour=0) + timedelta(days=3, hours=1)
    assert writer.get_partitions_to_seal(now, timedelta(minutes=30)) == ["2026-03-02", "2026-03-03"]
    assert writer.get_partitions_to_seal(now, timedelta(hours=2)) == ["2026-03-02"]


def test_sealing_a_late_partition_or_a_malformed_name_is_refused(root, clock):
    writer = LedgerWriter(root, clock=clock)
    with pytest.raises(ValueError):
        writer.seal_partition("2026-03-01-late")
    with pytest.raises(ValueError):
        writer.seal_partition("../etc")


def test_a_record_above_the_frame_limit_is_refused_before_touching_the_disk(root, clock):
    writer = LedgerWriter(root, clock=clock, frame_max_bytes=200)
    with pytest.raises(LedgerRecordTooLargeError):
        writer.write(make_event(1))
    assert not os.path.exists(root)


def test_corruption_in_the_middle_of_the_active_segment_stops_the_writer_instead_of_truncating(root, clock):
    writer = LedgerWriter(root, clock=clock)
    for i in range(3):
        writer.write(make_event(i))
    writer.close()
    path = os.path.join(root, "2026-03-01", "segment-000001.log")
    with open(path, "r+b") as f:
        f.seek(HEADER_BYTES + 5)
        byte = f.read(1)
        f.seek(HEADER_BYTES + 5)
        f.write(bytes([byte[0] ^ 0x01]))
    size = os.path.getsize(path)
    with pytest.raises(LedgerCorruptionError) as caught:
        LedgerWriter(root, clock=clock).write(make_event(9))
    assert (caught.value.partition, caught.value.segment, caught.value.offset_bytes) == (
        "2026-03-01", "segment-000001.log", 0)
    assert os.path.getsize(path) == size


def test_records_of_different_days_land_in_their_own_partitions_with_their_own_sequences(root, clock):
    writer = LedgerWriter(root, clock=clock)
    a = writer.write(make_event(1, DAY_1))
    b = writer.write(make_event(2, DAY_1 + timedelta(days=1)))
    c = writer.write(make_event(3, DAY_1))
    assert [(e.ledger_partition, e.ledger_sequence) for e in (a, b, c)] == [
        ("2026-03-01", 1), ("2026-03-02", 1), ("2026-03-01", 2)]


def test_a_late_record_whose_manifest_rewrite_fails_stays_written_and_the_manifest_never_leads_it(root, clock):
    fs = WrappedFs()
    writer = LedgerWriter(root, fs=fs, clock=clock)
    writer.seal_partition("2026-03-01")
    writer.write(make_event(1))
    late_dir = os.path.join(root, "2026-03-01-late")
    # the third fsync of a late append is the directory's, after the manifest's rename (frame, temp, dir)
    fsyncs = []
    fs.fail("fsync", errno.EIO, when=lambda args: fsyncs.append(args) or len(fsyncs) == 3)
    placed = writer.write(make_event(2))
    assert (placed.ledger_partition, placed.ledger_sequence) == ("2026-03-01-late", 2)
    assert len(fsyncs) >= 3, "the directory fsync after the manifest's replace was the one that failed"
    manifest = json.loads(open(os.path.join(late_dir, "_manifest.json"), "rb").read())
    assert [r.sequence for r in LedgerReader(root).read_partition("2026-03-01-late")] == [1, 2]
    assert manifest["highwater_sequence"] <= 2 and manifest["record_count"] <= 2
    third = writer.write(make_event(3))
    assert third.ledger_sequence == 3
    info = LedgerReader(root).get_partition_info("2026-03-01-late")
    manifest = json.loads(open(os.path.join(late_dir, "_manifest.json"), "rb").read())
    assert (info.highwater_sequence, manifest["highwater_sequence"], manifest["record_count"]) == (3, 3, 3)
    assert not [n for n in os.listdir(late_dir) if n.endswith(".tmp")], "recovery removed the half-done temp file"


def test_a_late_record_whose_manifest_temp_file_cannot_be_written_stays_written_and_the_manifest_lags(root, clock):
    fs = WrappedFs()
    writer = LedgerWriter(root, fs=fs, clock=clock)
    writer.seal_partition("2026-03-01")
    writer.write(make_event(1))
    fs.fail("replace", errno.ENOSPC)
    placed = writer.write(make_event(2))
    assert placed.ledger_sequence == 2
    manifest = json.loads(open(os.path.join(root, "2026-03-01-late", "_manifest.json"), "rb").read())
    assert (manifest["highwater_sequence"], manifest["record_count"]) == (1, 1)
    assert LedgerReader(root).get_partition_info("2026-03-01-late").highwater_sequence == 2
    assert writer.write(make_event(3)).ledger_sequence == 3
