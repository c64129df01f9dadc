"""The reader's checks that only damage beyond a CRC can show, and the zoo bugs that drop them.

A sealed segment that lost a whole frame, or holds one twice, passes every CRC. The clean reader
refuses it (LedgerCorruptionError, from which reconcile's salvage names the loss); each planted bug
reads it as a whole ledger. Then, in the simulated world: the disk faults that make such damage
(`disk.lost_write`, `disk.duplicate_write`) are reported by the clean system, and the checkers
catch each bug.
"""
from __future__ import annotations

import json
from datetime import timedelta
from types import SimpleNamespace

import pytest

from omen import FixedClock, LedgerCorruptionError, LedgerReader
from omen.ledger.framing import encode_frame
from scenarios.bugzoo import planted
from scenarios.invariants import CheckContext
from scenarios.invariants.delivery_checks import no_silent_loss
from scenarios.invariants.ledger_checks import monotonic_sequence
from scenarios.ledger_oracle import parse_ledger
from scenarios.observers import reader_view
from scenarios.runner import run
from scenarios.world import LEDGER_ROOT
from tests.omen.damage import PARTITION, frames_of, rewrite, sealed_ledger, segment_path
from tests.omen.ledger_helpers import DAY_1
from tests.scenarios.test_report_and_manifest_checks import frame


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(DAY_1 + timedelta(minutes=5))


def sequences(reader: LedgerReader) -> list[int]:
    return [record.sequence for record in reader.scan_partition(PARTITION)]


def keep_frames(root: str, segment: int, indices: list[int]) -> None:
    """Rewrite a sealed segment with only the frames at `indices`, in that order: whole frames, valid CRCs."""
    path = segment_path(root, segment)
    payloads = [payload for _, payload in frames_of(path.read_bytes())]
    rewrite(path, b"".join(encode_frame(payloads[i]) for i in indices))


SHORTENED = {
    "emptied": [],
    "cut on a frame boundary": [0, 1],
    "missing a whole frame": [0, 2],
}


@pytest.mark.parametrize("damage", sorted(SHORTENED))
def test_a_sealed_segment_short_of_its_manifest_is_refused_and_read_whole_only_under_the_bug(tmp_path, clock, damage):
    root = str(tmp_path / "ledger")
    sealed_ledger(root, clock, records=6, per_segment=3)
    keep_frames(root, 1, SHORTENED[damage])
    reader = LedgerReader(root)
    with pytest.raises(LedgerCorruptionError) as caught:
        sequences(reader)
    assert caught.value.segment == "segment-000001.log"
    with pytest.raises(LedgerCorruptionError):
        reader.get_partition_info(PARTITION)
    assert not reader.salvage_partition(PARTITION).clean  # salvage names the loss
    with planted("reader_ignores_manifest_counts"):
        survivors = [i + 1 for i in SHORTENED[damage]]
        assert sequences(reader) == [*survivors, 4, 5, 6]  # fewer records, no error: silent loss
        assert reader.get_partition_info(PARTITION).record_count == 6  # and the manifest's count, unchecked
    with pytest.raises(LedgerCorruptionError):
        sequences(reader)  # the clean reader is back


@pytest.mark.parametrize("order, expected", [([0, 0, 1, 2], [1, 1, 2, 3]), ([1, 0, 2], [2, 1, 3])])
def test_a_repeated_or_swapped_frame_is_refused_and_yielded_only_under_the_bug(tmp_path, clock, order, expected):
    root = str(tmp_path / "ledger")
    sealed_ledger(root, clock, records=3, per_segment=10, seal=False)  # the active segment: not held to counts
    keep_frames(root, 1, order)
    reader = LedgerReader(root)
    with pytest.raises(LedgerCorruptionError, match="sequences strictly increase"):
        sequences(reader)
    with planted("reader_continues_past_duplicated_frame"):
        assert sequences(reader) == expected
    with pytest.raises(LedgerCorruptionError):
        sequences(reader)


def test_the_order_bug_still_holds_a_sealed_segment_to_its_manifest(tmp_path, clock):
    root = str(tmp_path / "ledger")
    sealed_ledger(root, clock, records=6, per_segment=3)
    keep_frames(root, 1, [0, 1])
    with planted("reader_continues_past_duplicated_frame"), pytest.raises(LedgerCorruptionError, match="manifest"):
        sequences(LedgerReader(root))


# In the simulated world. Seeds of `lost_writes` whose first-caught figures the hunt reports; the
# clean runs of the same seeds must be free of violations, with the damage reported by reconcile.
CAUGHT_AT = {"reader_ignores_manifest_counts": "no_silent_loss",
             "reader_continues_past_duplicated_frame": "monotonic_sequence"}


def first_catching_seed(bug: str, seeds_max: int = 60) -> tuple[int, object]:
    for seed in range(seeds_max):
        result = run("lost_writes", seed, bug=bug)
        if result.violations:
            return seed, result
    raise AssertionError(f"{bug} escaped {seeds_max} seeds of lost_writes")


@pytest.mark.parametrize("bug", sorted(CAUGHT_AT))
def test_the_clean_system_reports_the_damage_the_bug_reads_silently(bug):
    seed, buggy = first_catching_seed(bug)
    assert CAUGHT_AT[bug] in {v.invariant for v in buggy.violations}
    clean = run("lost_writes", seed, keep_world=True)
    assert clean.ok, clean.violations
    assert clean.faults.get("disk.lost_write", 0) + clean.faults.get("disk.duplicate_write", 0) > 0
    damaged = {v.partition for v in buggy.violations if v.invariant == CAUGHT_AT[bug]}
    assert damaged and None not in damaged
    view = reader_view(clean.world.disk, LEDGER_ROOT)
    corrupt = {event.fields["partition"] for event in clean.world.trace.of_kind("reconcile.result")
               if event.fields.get("status") == "corrupt"}
    for partition in damaged:
        assert isinstance(view[partition], str) and "LedgerCorruptionError" in view[partition], view[partition]
        # a day the liveness phase sealed is reconciled: its damage is in a corrupt result; the open day's
        # damage is in the reader's refusal alone until it is sealed
        assert partition in corrupt or not partition.endswith("-late") and partition == max(view), partition


# The two checks that judge the reader, on hand-built final states.
def judged(files: dict[str, bytes], view: object, *, fired: dict[str, int] | None = None) -> CheckContext:
    visible = parse_ledger({f"/ledger/{PARTITION}/{name}": data for name, data in files.items()}, "/ledger")
    return CheckContext(events=[], final_visible=visible, final_durable=visible, stored_rows=[], reconcile_state={},
                        reader_view={PARTITION: view}, observations=SimpleNamespace(crash_snapshots=[]),
                        faults_fired=fired or {})


def manifest_listing(segment: str, records: int, size_bytes: int) -> bytes:
    return json.dumps({"format_version": 1, "partition": PARTITION, "is_late": False, "sealed": True,
                       "sealed_at": "2026-03-02T00:02:01Z", "revision": 2, "highwater_sequence": records,
                       "record_count": records, "updated_at": "2026-03-02T00:02:01Z", "segments": [
        {"name": segment, "record_count": records, "size_bytes": size_bytes, "sealed": True}]}).encode()


SHORT_SEALED = {"segment-000001.log": frame("A", 1) + frame("C", 3),
                "_manifest.json": manifest_listing("segment-000001.log", 3, 3 * len(frame("A", 1)))}


def test_a_reader_that_yields_a_sealed_segment_short_of_its_manifest_loses_records_silently():
    found = [v for v in no_silent_loss(judged(SHORT_SEALED, ["A", "C"])) if "manifest lists" in v.message]
    assert [v.partition for v in found] == [PARTITION] and "segment-000001.log" in found[0].message


def test_a_reader_that_refuses_a_sealed_segment_short_of_its_manifest_is_not_blamed():
    refused = judged(SHORT_SEALED, "LedgerCorruptionError: sealed segment holds 2 records")
    assert not [v for v in no_silent_loss(refused) if "manifest lists" in v.message]
    whole = dict(SHORT_SEALED, **{"_manifest.json": manifest_listing("segment-000001.log", 2,
                                                                      len(SHORT_SEALED["segment-000001.log"]))})
    assert not [v for v in no_silent_loss(judged(whole, ["A", "C"])) if "manifest lists" in v.message]


REPEATED = {"segment-000001.log": frame("A", 1) + frame("A", 1) + frame("B", 2)}
SWAPPED = {"segment-000001.log": frame("B", 2) + frame("A", 1) + frame("C", 3)}


def test_a_reader_that_yields_a_repeated_frame_breaks_the_read_order():
    found = list(monotonic_sequence(judged(REPEATED, ["A", "A", "B"], fired={"disk.duplicate_write": 1})))
    assert len(found) == 1 and "yields partition" in found[0].message and "from sequence 1 to 1" in found[0].message


def test_a_copy_the_disk_made_is_judged_on_the_reader_only_a_repeat_without_that_fault_on_the_writer():
    refused = "LedgerCorruptionError: sequence 1 follows 1"
    assert list(monotonic_sequence(judged(REPEATED, refused, fired={"disk.duplicate_write": 2}))) == []
    (writer_blamed,) = monotonic_sequence(judged(REPEATED, refused))
    assert "sequence 1 in segment-000001.log" in writer_blamed.message


def test_a_swap_is_never_excused_as_a_disk_copy():
    found = list(monotonic_sequence(judged(SWAPPED, ["B", "A", "C"], fired={"disk.duplicate_write": 1})))
    assert {"follows 2" in v.message or "from sequence 2 to 1" in v.message for v in found} == {True}
    assert len(found) == 2  # the frames' order (the writer's) and the reader's yielding of it


def test_a_copied_run_of_frames_is_the_disks_doing_too():
    run_twice = {"segment-000001.log": frame("A", 1) + frame("B", 2) + frame("A", 1) + frame("B", 2) + frame("C", 3)}
    refused = "LedgerCorruptionError: sequence 1 follows 2"
    assert list(monotonic_sequence(judged(run_twice, refused, fired={"disk.duplicate_write": 1}))) == []
    reused = {"segment-000001.log": frame("A", 1) + frame("B", 2) + frame("X", 1)}  # another signal: the writer's
    assert len(list(monotonic_sequence(judged(reused, refused, fired={"disk.duplicate_write": 1})))) == 1
