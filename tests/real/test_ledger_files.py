"""The harness's own view of the ledger files: incremental, and never fooled by a shrinking segment."""
from __future__ import annotations

from datetime import datetime, timezone

from omen import LedgerRecord, LedgerWriter, SignalEvent
from omen.ledger.framing import encode_frame
from scenarios.real.ledger_files import LedgerTail, manifest_says_sealed, visible_ids


def _event(n: int) -> SignalEvent:
    at = datetime(2026, 3, 1, 12, 0, n, tzinfo=timezone.utc)
    return SignalEvent.create(event_id=f"e-{n}", input_event={"n": n}, ruleset_version="r1", category="c",
                              observed_at=at, emitted_at=at)


def test_the_tail_sees_each_record_once_it_is_in_the_files_and_only_then(tmp_path) -> None:
    writer = LedgerWriter(str(tmp_path))
    tail = LedgerTail(tmp_path)
    first = writer.write(_event(1))
    assert tail.contains("2026-03-01", first.signal_id)
    assert not tail.contains("2026-03-01", _event(2).signal_id)
    second = writer.write(_event(2))
    assert tail.contains("2026-03-01", second.signal_id)
    assert not tail.contains("2026-03-02", second.signal_id)
    assert not tail.contains("../etc", second.signal_id)
    writer.seal_partition("2026-03-01")
    writer.close()
    assert manifest_says_sealed(tmp_path, "2026-03-01")
    assert visible_ids(tmp_path) == {first.signal_id, second.signal_id}


def test_a_segment_that_shrank_is_read_again_from_its_start(tmp_path) -> None:
    writer = LedgerWriter(str(tmp_path))
    first = writer.write(_event(1))
    writer.write(_event(2))
    writer.close()
    tail = LedgerTail(tmp_path)
    assert tail.contains("2026-03-01", first.signal_id)
    segment = next((tmp_path / "2026-03-01").glob("segment-*.log"))
    placed = _event(3).with_ledger_metadata(partition="2026-03-01", sequence=1,
                                            written_at=datetime(2026, 3, 1, 12, 0, 3, tzinfo=timezone.utc))
    segment.write_bytes(encode_frame(LedgerRecord(event=placed).to_payload()))  # one frame, shorter than two
    assert tail.contains("2026-03-01", placed.signal_id)
