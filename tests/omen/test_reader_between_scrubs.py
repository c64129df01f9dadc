"""Specification of reconcile's read of an open day between scrubs (`reread_closed=False`).

A pass reads the listing, the manifest, every segment this reader has not verified under the
same rule and manifest entry, and the last (active) segment; a closed segment it verified before
is taken from its memo unread. The writer never writes a closed segment again, so only damage at
rest changes one, and that damage is reported at the next full read (`reread_closed=True`, a
scrub pass), never taken as whole by a later pass once a full read has seen it.
"""
from __future__ import annotations

import json
import os
import random

import pytest

from omen import LedgerCorruptionError, LedgerReader, LedgerWriter
from omen.ledger.framing import HEADER_BYTES
from tests.omen.damage import PARTITION, flip_bit, sealed_ledger, segment_path
from tests.omen.ledger_helpers import make_event


class CountingFs:
    """`os`, counting the opens of each file name (the reader's only way to see a segment's bytes)."""

    def __init__(self) -> None:
        self.opened: list[str] = []

    def __getattr__(self, name: str):  # noqa: ANN204
        return getattr(os, name)

    def open(self, path, flags, *args):  # noqa: ANN001, ANN201
        self.opened.append(os.path.basename(path))
        return os.open(path, flags, *args)


def segments_opened(fs: CountingFs) -> list[str]:
    return [name for name in fs.opened if name.startswith("segment-")]


def test_a_pass_between_scrubs_reads_only_the_active_segment_of_a_day_it_verified(root, clock):
    sealed_ledger(root, clock, records=7, per_segment=3, seal=False)  # segments of 3, 3 and 1 records
    fs = CountingFs()
    reader = LedgerReader(root, fs=fs)
    full = reader.get_partition_info(PARTITION)
    assert segments_opened(fs) == ["segment-000001.log", "segment-000002.log", "segment-000003.log"]
    fs.opened.clear()
    assert reader.get_partition_info(PARTITION, reread_closed=False) == full
    assert segments_opened(fs) == ["segment-000003.log"]


def test_a_pass_between_scrubs_reads_a_segment_it_never_verified(root, clock):
    sealed_ledger(root, clock, records=7, per_segment=3, seal=False)
    fs = CountingFs()
    reader = LedgerReader(root, fs=fs)
    cold = reader.get_partition_info(PARTITION, reread_closed=False)  # nothing verified yet: all read
    assert segments_opened(fs) == ["segment-000001.log", "segment-000002.log", "segment-000003.log"]
    assert cold == LedgerReader(root).get_partition_info(PARTITION)
    writer = LedgerWriter(root, clock=clock, segment_max_records=3)
    for number in range(70, 73):  # segment 3 fills and closes, segment 4 opens
        writer.write(make_event(number))
    writer.close()
    fs.opened.clear()
    grown = reader.get_partition_info(PARTITION, reread_closed=False)
    # segment 3 was verified as the active one (a torn tail tolerated): closed now, it is read again
    assert segments_opened(fs) == ["segment-000003.log", "segment-000004.log"]
    assert grown == LedgerReader(root).get_partition_info(PARTITION)
    assert (grown.record_count, grown.highwater_sequence) == (10, 10)


def test_rot_in_a_verified_closed_segment_waits_for_the_scrub_then_stays_reported(root, clock):
    sealed_ledger(root, clock, records=7, per_segment=3, seal=False)
    reader = LedgerReader(root)
    reader.get_partition_info(PARTITION)
    flip_bit(segment_path(root, 1), HEADER_BYTES + 5)  # same size: only the bytes say it changed
    # the pass between scrubs does not read segment 1: the rot is not seen yet
    assert reader.get_partition_info(PARTITION, reread_closed=False).record_count == 7
    with pytest.raises(LedgerCorruptionError) as scrubbed:
        reader.get_partition_info(PARTITION)  # the scrub reads it
    assert "segment-000001.log" in str(scrubbed.value)
    # once a read has seen other bytes, the memo no longer vouches for the segment
    with pytest.raises(LedgerCorruptionError) as later:
        reader.get_partition_info(PARTITION, reread_closed=False)
    assert str(later.value) == str(scrubbed.value)


def test_the_active_segment_is_read_by_every_pass(root, clock):
    sealed_ledger(root, clock, records=7, per_segment=3, seal=False)
    reader = LedgerReader(root)
    reader.get_partition_info(PARTITION)
    flip_bit(segment_path(root, 3), HEADER_BYTES + 5)  # its only frame: now a torn tail, tolerated
    between = reader.get_partition_info(PARTITION, reread_closed=False)
    assert (between.record_count, between.highwater_sequence) == (6, 6)
    assert between == LedgerReader(root).get_partition_info(PARTITION)


def test_a_sealed_day_is_answered_the_same_either_way(root, clock):
    sealed_ledger(root, clock, records=7, per_segment=3, seal=True)
    reader = LedgerReader(root)
    assert reader.get_partition_info(PARTITION, reread_closed=False) == reader.get_partition_info(PARTITION)


def test_over_any_history_without_damage_a_pass_between_scrubs_answers_what_a_full_read_answers(root, clock):
    """Writes (rollovers among them), reopened writers, a crash's torn tail, seals of other days:
    after each step, the pass between scrubs (with the run of closed segments it keeps) and a full
    read by the same reader and by a fresh one give one answer."""
    rng = random.Random(5)
    reader = LedgerReader(root)
    writer = LedgerWriter(root, clock=clock, segment_max_records=3)
    number = 0
    for step in range(60):
        choice = rng.randrange(6)
        if choice <= 2:
            for _ in range(rng.randrange(1, 5)):
                writer.write(make_event(number))
                number += 1
        elif choice == 3:
            writer.close()
            writer = LedgerWriter(root, clock=clock, segment_max_records=rng.choice([2, 3, 4]))
        elif choice == 4 and number:
            writer.close()
            last = max(name for name in os.listdir(os.path.join(root, PARTITION)) if name.startswith("segment-"))
            with open(os.path.join(root, PARTITION, last), "ab") as segment:
                segment.write(b"\x01\x02")  # a torn tail, as a crash leaves it
            writer = LedgerWriter(root, clock=clock, segment_max_records=3)  # recovery truncates it
        if not number:
            continue
        modes = [rng.random() < 0.8 for _ in range(rng.randrange(1, 3))]  # passes between scrubs, mostly
        answers = [reader.get_partition_info(PARTITION, reread_closed=not between) for between in modes]
        fresh = LedgerReader(root).get_partition_info(PARTITION)
        assert all(answer == fresh for answer in answers), (step, modes)
        assert fresh.record_count == number
    writer.close()


def test_a_manifest_that_now_holds_a_closed_segment_to_other_counts_is_checked_at_the_next_pass(root, clock):
    """The manifest is read at every pass: a closed segment it lists with other counts than the
    ones its verification was held to is verified again, not taken from the run."""
    sealed_ledger(root, clock, records=7, per_segment=3, seal=False)
    reader = LedgerReader(root)
    reader.get_partition_info(PARTITION)
    reader.get_partition_info(PARTITION, reread_closed=False)  # the run of closed segments is taken
    manifest_path = os.path.join(root, PARTITION, "_manifest.json")
    with open(manifest_path, "rb") as handle:
        document = json.loads(handle.read())
    first = next(entry for entry in document["segments"] if entry["name"] == "segment-000001.log")
    assert first["sealed"] and first["record_count"] == 3
    first["record_count"] = 2
    document["record_count"] -= 1
    with open(manifest_path, "w") as handle:
        json.dump(document, handle)
    with pytest.raises(LedgerCorruptionError) as between:
        reader.get_partition_info(PARTITION, reread_closed=False)
    assert "manifest says 2" in str(between.value)
    assert str(between.value) == str(pytest.raises(LedgerCorruptionError, LedgerReader(root).get_partition_info,
                                                   PARTITION).value)
