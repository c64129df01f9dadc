"""Specification of salvage: one flipped bit loses one record, not a partition, and says so exactly."""
from __future__ import annotations

import os

import pytest

from omen import LedgerCorruptionError, LedgerReader
from omen.ledger.framing import HEADER_BYTES, encode_frame
from tests.omen.damage import PARTITION, flip_bit, frames_of, rewrite, sealed_ledger, segment_path


def ids(records) -> list[str]:
    return [record.signal_id for record in records]


def test_a_clean_partition_salvages_to_exactly_what_the_strict_reader_yields(root, clock):
    placed = sealed_ledger(root, clock, records=7, per_segment=3)
    result = LedgerReader(root).salvage_partition(PARTITION)
    assert result.clean and result.losses == () and result.torn_tail_bytes == 0
    assert ids(result.records) == [p.signal_id for p in placed]
    assert [r.record.event for r in result.records] == placed


def test_one_flipped_bit_in_a_sealed_segment_loses_one_record_and_reports_its_bytes_and_sequence(root, clock):
    placed = sealed_ledger(root, clock, records=6, per_segment=3)
    path = segment_path(root, 1)
    offset, payload = frames_of(path.read_bytes())[1]
    flip_bit(path, offset + HEADER_BYTES + len(payload) // 2)
    reader = LedgerReader(root)
    with pytest.raises(LedgerCorruptionError):
        list(reader.read_partition(PARTITION))
    result = reader.salvage_partition(PARTITION)
    assert ids(result.records) == [p.signal_id for i, p in enumerate(placed) if i != 1]
    (loss,) = result.losses
    assert (loss.partition, loss.segment) == (PARTITION, "segment-000001.log")
    assert (loss.start_byte, loss.end_byte) == (offset, offset + HEADER_BYTES + len(payload))
    assert (loss.sequence_first, loss.sequence_last) == (2, 2)
    assert not result.clean


def test_a_damaged_length_field_resynchronizes_on_the_next_frame(root, clock):
    placed = sealed_ledger(root, clock, records=6, per_segment=6)
    path = segment_path(root, 1)
    offset, payload = frames_of(path.read_bytes())[2]
    flip_bit(path, offset + 1, 3)  # the length now points far past the frame
    result = LedgerReader(root).salvage_partition(PARTITION)
    assert ids(result.records) == [p.signal_id for i, p in enumerate(placed) if i != 2]
    (loss,) = result.losses
    assert (loss.start_byte, loss.end_byte, loss.sequence_first, loss.sequence_last) == (
        offset, offset + HEADER_BYTES + len(payload), 3, 3)


def test_damage_at_the_end_of_a_sealed_partition_is_bounded_by_the_manifests_highwater(root, clock):
    placed = sealed_ledger(root, clock, records=6, per_segment=3)
    path = segment_path(root, 2)
    data = path.read_bytes()
    flip_bit(path, len(data) - 2)
    result = LedgerReader(root).salvage_partition(PARTITION)
    assert ids(result.records) == [p.signal_id for p in placed[:5]]
    (loss,) = result.losses
    assert (loss.segment, loss.sequence_first, loss.sequence_last, loss.end_byte) == ("segment-000002.log", 6, 6, len(data))


def test_a_missing_sealed_segment_is_reported_whole(root, clock):
    placed = sealed_ledger(root, clock, records=6, per_segment=3)
    path = segment_path(root, 1)
    size_bytes = path.stat().st_size
    os.chmod(path, 0o644)
    path.unlink()
    result = LedgerReader(root).salvage_partition(PARTITION)
    assert ids(result.records) == [p.signal_id for p in placed[3:]]
    (loss,) = result.losses
    assert (loss.segment, loss.start_byte, loss.end_byte, loss.sequence_first, loss.sequence_last) == (
        "segment-000001.log", 0, size_bytes, 1, 3)


def test_a_sealed_segment_cut_on_a_frame_boundary_is_reported(root, clock):
    placed = sealed_ledger(root, clock, records=6, per_segment=3)
    path = segment_path(root, 1)
    data = path.read_bytes()
    kept = frames_of(data)[:2]
    cut = b"".join(encode_frame(payload) for _, payload in kept)
    rewrite(path, cut)
    result = LedgerReader(root).salvage_partition(PARTITION)
    assert ids(result.records) == [p.signal_id for i, p in enumerate(placed) if i != 2]
    (loss,) = result.losses
    assert (loss.start_byte, loss.end_byte, loss.sequence_first, loss.sequence_last) == (len(cut), len(data), 3, 3)


@pytest.mark.parametrize("order, kept, skipped", [([0, 0, 1, 2], [0, 1, 2], []), ([1, 0, 2], [1, 2], [0])])
def test_a_frame_that_breaks_sequence_continuity_is_skipped_and_reported(root, clock, order, kept, skipped):
    placed = sealed_ledger(root, clock, records=3, per_segment=10, seal=False)
    path = segment_path(root)
    frames = frames_of(path.read_bytes())
    rewrite(path, b"".join(encode_frame(frames[i][1]) for i in order))
    result = LedgerReader(root).salvage_partition(PARTITION)
    assert ids(result.records) == [placed[i].signal_id for i in kept]
    (loss,) = result.losses
    lost_range = range(loss.sequence_first, (loss.sequence_last or 0) + 1)
    for index in skipped:
        assert placed[index].ledger_sequence in lost_range  # the out-of-order record is reported, not dropped silently


def test_a_torn_tail_of_the_active_segment_is_not_a_loss(root, clock):
    placed = sealed_ledger(root, clock, records=3, per_segment=10, seal=False)
    path = segment_path(root)
    rewrite(path, path.read_bytes() + encode_frame(b'{"torn":true}')[:-4])
    result = LedgerReader(root).salvage_partition(PARTITION)
    assert ids(result.records) == [p.signal_id for p in placed]
    assert result.losses == () and result.torn_tail_bytes > 0


def test_an_unreadable_manifest_is_reported_and_the_segments_still_salvaged(root, clock):
    placed = sealed_ledger(root, clock, records=4, per_segment=2)
    manifest = os.path.join(root, PARTITION, "_manifest.json")
    with open(manifest, "wb") as f:
        f.write(b"{not json")
    result = LedgerReader(root).salvage_partition(PARTITION)
    assert ids(result.records) == [p.signal_id for p in placed]
    assert result.manifest_error is not None and not result.clean


def test_salvage_never_writes(root, clock):
    sealed_ledger(root, clock, records=4, per_segment=2)
    flip_bit(segment_path(root, 1), 20)
    before = {p: (os.stat(p).st_mode, open(p, "rb").read()) for p in sorted(str(x) for x in segment_path(root).parent.iterdir())}
    LedgerReader(root).salvage_partition(PARTITION)
    after = {p: (os.stat(p).st_mode, open(p, "rb").read()) for p in sorted(str(x) for x in segment_path(root).parent.iterdir())}
    assert after == before
