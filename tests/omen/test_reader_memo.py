"""Specification of the reader's memo of verified segments: it saves parsing, never a check.

Reconcile asks for an open partition's figures at every pass. The reader remembers each segment
it verified with its bytes; a segment whose bytes are the same is not parsed again, and any
other bytes (a bit flipped at rest, a same-size rewrite, a grown tail) are checked from scratch
at that very read, so damage is reported exactly when a reader without the memo reports it.
"""
from __future__ import annotations

import pytest

import omen.ledger.reader as reader_module
from omen import LedgerCorruptionError, LedgerReader, LedgerWriter
from omen.ledger.framing import HEADER_BYTES
from tests.omen.damage import PARTITION, edit_payload, flip_bit, frames_of, sealed_ledger, segment_path
from tests.omen.ledger_helpers import count_scans, make_event


@pytest.fixture
def parses(monkeypatch) -> list[int]:
    """One entry per segment the reader parses (scan_frames call)."""
    return count_scans(monkeypatch, reader_module)


def corruption_of(read) -> str:  # noqa: ANN001
    with pytest.raises(LedgerCorruptionError) as caught:
        read()
    return str(caught.value)


def test_an_unchanged_partition_is_not_parsed_again_and_a_grown_one_only_in_its_active_segment(root, clock, parses):
    sealed_ledger(root, clock, records=7, per_segment=3, seal=False)  # segments of 3, 3 and 1 records
    reader = LedgerReader(root)
    first = reader.get_partition_info(PARTITION)
    assert (first.record_count, first.highwater_sequence, len(parses)) == (7, 7, 3)
    parses.clear()
    assert reader.get_partition_info(PARTITION) == first and parses == []
    writer = LedgerWriter(root, clock=clock, segment_max_records=3)
    writer.write(make_event(70))
    writer.close()
    grown = reader.get_partition_info(PARTITION)
    assert (grown.record_count, grown.highwater_sequence) == (8, 8)
    assert len(parses) == 1  # the active segment, whose bytes grew
    assert [record.signal_id for record in reader.scan_partition(PARTITION)] == [
        record.signal_id for record in LedgerReader(root, verified_bytes_max=0).scan_partition(PARTITION)]


def test_a_bit_flipped_at_rest_in_a_verified_segment_is_reported_at_the_next_read(root, clock):
    sealed_ledger(root, clock, records=7, per_segment=3, seal=False)
    reader = LedgerReader(root)
    reader.get_partition_info(PARTITION)  # every segment verified and remembered
    flip_bit(segment_path(root, 1), HEADER_BYTES + 5)  # same size: only the bytes say it changed
    remembered = corruption_of(lambda: reader.get_partition_info(PARTITION))
    assert "segment-000001.log" in remembered
    assert remembered == corruption_of(lambda: LedgerReader(root, verified_bytes_max=0).get_partition_info(PARTITION))
    assert remembered == corruption_of(lambda: list(reader.scan_partition(PARTITION)))


def test_a_same_size_rewrite_that_keeps_every_crc_is_checked_again(root, clock):
    """Frame 2 of segment 1 gets the sequence of frame 1, CRC recomputed: only the order check sees it."""
    sealed_ledger(root, clock, records=7, per_segment=3, seal=False)
    reader = LedgerReader(root)
    reader.get_partition_info(PARTITION)
    path = segment_path(root, 1)
    payload = frames_of(path.read_bytes())[1][1]
    assert b'"ledger_sequence":2' in payload
    edit_payload(path, 1, b'"ledger_sequence":2', b'"ledger_sequence":1')
    remembered = corruption_of(lambda: reader.get_partition_info(PARTITION))
    assert "sequence 1 follows 1" in remembered
    assert remembered == corruption_of(lambda: LedgerReader(root, verified_bytes_max=0).get_partition_info(PARTITION))


def test_a_rewritten_manifest_is_parsed_again(root, clock):
    sealed_ledger(root, clock, records=4, per_segment=3, seal=False)
    reader = LedgerReader(root)
    before = reader.get_partition_info(PARTITION)
    writer = LedgerWriter(root, clock=clock, segment_max_records=3)
    writer.seal_partition(PARTITION)
    writer.close()
    after = reader.get_partition_info(PARTITION)
    assert (before.is_sealed, after.is_sealed) == (False, True)
    assert after.manifest_revision > before.manifest_revision


def test_without_a_budget_every_read_parses_every_segment(root, clock, parses):
    sealed_ledger(root, clock, records=7, per_segment=3, seal=False)
    reader = LedgerReader(root, verified_bytes_max=0)
    reader.get_partition_info(PARTITION)
    reader.get_partition_info(PARTITION)
    assert len(parses) == 6


@pytest.mark.parametrize("budget", [-1, 1.5, "big"])
def test_a_budget_that_is_not_a_count_of_bytes_is_refused(root, budget):
    with pytest.raises(ValueError, match="verified_bytes_max"):
        LedgerReader(root, verified_bytes_max=budget)


def salvage_figures(result) -> tuple:  # noqa: ANN001
    """What a salvage answers: the records (by id and sequence), the losses, the torn tail."""
    return ([(record.signal_id, record.sequence) for record in result.records],
            [loss.to_dict() for loss in result.losses], result.torn_tail_bytes, result.manifest_error)


def test_salvaging_the_same_damaged_bytes_again_validates_nothing_again_and_answers_the_same(root, clock,
                                                                                           monkeypatch):
    """Reconcile salvages a damaged partition at every pass: the second pass replays the first."""
    sealed_ledger(root, clock, records=9, per_segment=3, seal=True)
    flip_bit(segment_path(root, 2), HEADER_BYTES + 7)
    reader = LedgerReader(root)
    first = salvage_figures(reader.salvage_partition(PARTITION))
    assert len(first[0]) == 8 and len(first[1]) == 1, "one record lost in segment 2, the rest intact"
    validations: list[str] = []
    original = reader_module.SegmentRecords.validated

    def counted(self, index, **kwargs):  # noqa: ANN001, ANN003, ANN202
        validations.append(self.segment)
        return original(self, index, **kwargs)

    monkeypatch.setattr(reader_module.SegmentRecords, "validated", counted)
    assert salvage_figures(reader.salvage_partition(PARTITION)) == first
    assert validations == []
    assert salvage_figures(LedgerReader(root, verified_bytes_max=0).salvage_partition(PARTITION)) == first
    assert len(validations) >= 8, "without a memo, every kept record (and each candidate tried) is validated"


def test_salvage_after_more_rot_reports_the_new_loss_at_that_very_read(root, clock):
    sealed_ledger(root, clock, records=9, per_segment=3, seal=True)
    flip_bit(segment_path(root, 2), HEADER_BYTES + 7)
    reader = LedgerReader(root)
    assert len(reader.salvage_partition(PARTITION).losses) == 1
    flip_bit(segment_path(root, 3), HEADER_BYTES + 9)  # the other segments' bytes are unchanged
    again = salvage_figures(reader.salvage_partition(PARTITION))
    assert len(again[1]) == 2
    assert again == salvage_figures(LedgerReader(root, verified_bytes_max=0).salvage_partition(PARTITION))
