"""The checkers that hold the system's reports against the facts: manifests and emit results."""
from __future__ import annotations

import json
import struct
import zlib
from types import SimpleNamespace

from scenarios.invariants import CheckContext
from sim.trace import TraceEvent
from scenarios.invariants.manifest_checks import manifests_match_records
from scenarios.invariants.report_checks import reports_match_facts
from scenarios.observers.manifests import manifest_facts


def frame(signal_id: str, sequence: int) -> bytes:
    # compact, as the writer encodes a record (the observers' frame index reads that form)
    payload = json.dumps({"event": {"signal_id": signal_id, "ledger_sequence": sequence}}, separators=(",", ":")).encode()
    return struct.pack(">II", len(payload), zlib.crc32(payload)) + payload


def manifest(*, sealed: bool, highwater: int, records: int, segments: list[tuple[str, int, int]],
             revision: int = 3) -> bytes:
    return json.dumps({"partition": "p", "sealed": sealed, "revision": revision, "highwater_sequence": highwater,
                       "record_count": records,
                       "segments": [{"name": n, "record_count": c, "size_bytes": s, "sealed": sealed}
                                    for n, c, s in segments]}).encode()


def context(events: list[tuple], *, fired: dict[str, int] | None = None) -> CheckContext:
    numbered = [TraceEvent(index, 1.0, "omen", kind, fields) for index, (kind, fields) in enumerate(events)]
    return CheckContext(events=numbered, final_visible={}, final_durable={}, stored_rows=[], reconcile_state={},
                        reader_view={}, observations=SimpleNamespace(), faults_fired=fired or {})


SEGMENT_1 = frame("A", 1) + frame("B", 2)
SEGMENT_2 = frame("C", 3)
FILES = {"segment-000001.log": SEGMENT_1, "segment-000002.log": SEGMENT_2}
ENTRIES = [("segment-000001.log", 2, len(SEGMENT_1)), ("segment-000002.log", 1, len(SEGMENT_2))]


def test_a_sealed_manifest_that_matches_its_frames_passes() -> None:
    facts = manifest_facts("p", manifest(sealed=True, highwater=3, records=3, segments=ENTRIES), FILES)
    assert facts is not None and facts["records"] == 3 and facts["highwater"] == 3
    assert list(manifests_match_records(context([("ledger.manifest", facts)]))) == []


def test_a_sealed_manifest_claiming_fewer_records_than_its_frames_is_a_violation() -> None:
    facts = manifest_facts("p", manifest(sealed=True, highwater=3, records=1, segments=ENTRIES), FILES)
    found = list(manifests_match_records(context([("ledger.manifest", facts)])))
    assert len(found) == 1 and "1 records but the frames hold 3" in found[0].message


def test_a_sealed_manifest_with_a_wrong_segment_size_is_a_violation() -> None:
    wrong = [ENTRIES[0], ("segment-000002.log", 1, len(SEGMENT_2) + 1)]
    facts = manifest_facts("p", manifest(sealed=True, highwater=3, records=3, segments=wrong), FILES)
    assert "segments" in next(manifests_match_records(context([("ledger.manifest", facts)]))).message


def test_an_open_main_manifest_is_a_snapshot_and_not_held_to_the_frames() -> None:
    facts = manifest_facts("p", manifest(sealed=False, highwater=1, records=1, segments=ENTRIES[:1]), FILES)
    assert list(manifests_match_records(context([("ledger.manifest", facts)]))) == []


def test_a_revision_that_goes_backwards_is_a_violation() -> None:
    newer = manifest_facts("p", manifest(sealed=False, highwater=3, records=3, segments=ENTRIES, revision=5), FILES)
    older = manifest_facts("p", manifest(sealed=False, highwater=3, records=3, segments=ENTRIES, revision=4), FILES)
    found = list(manifests_match_records(context([("ledger.manifest", newer), ("ledger.manifest", older)])))
    assert len(found) == 1 and "revision 5 to 4" in found[0].message


def test_an_unparsable_manifest_is_no_claim() -> None:
    assert manifest_facts("p", b"{not json", FILES) is None


def test_delivered_needs_the_200_riskcast_gave_with_that_ack() -> None:
    told = ("emit.result", {"signal_id": "S", "status": "delivered", "ack_id": "a1", "durable": True})
    assert list(reports_match_facts(context([
        ("ingest.result", {"signal_id": "S", "status": 200, "ack_id": "a1"}), told]))) == []
    found = list(reports_match_facts(context([told])))
    assert len(found) == 1 and "never answered 200" in found[0].message


def test_failed_for_a_write_that_became_durable_is_a_violation_but_an_earlier_copy_is_not() -> None:
    failed = ("emit.result", {"signal_id": "S", "status": "failed", "durable": True})
    became = [("emit.start", {"signal_id": "S", "durable": False}), failed]
    already = [("emit.start", {"signal_id": "S", "durable": True}), failed]
    assert "durable in the ledger" in next(reports_match_facts(context(became))).message
    assert list(reports_match_facts(context(already))) == []
    assert list(reports_match_facts(context(became, fired={"disk.fsync_lie": 1}))) == []


def test_reconcile_claiming_a_replay_riskcast_never_accepted_is_a_violation() -> None:
    result = ("reconcile.result", {"partition": "p", "replayed": ["S"]})
    assert "never accepted" in next(reports_match_facts(context([result]))).message
    assert list(reports_match_facts(context([
        ("ingest.result", {"signal_id": "S", "status": 409, "ack_id": "a0"}), result]))) == []


def test_a_late_manifest_left_behind_by_a_crash_passes_but_one_claiming_more_than_its_frames_does_not() -> None:
    behind = manifest_facts("p-late", manifest(sealed=False, highwater=2, records=2, segments=ENTRIES[:1]), FILES)
    ahead = manifest_facts("p-late", manifest(sealed=False, highwater=4, records=4, segments=ENTRIES), FILES)
    assert list(manifests_match_records(context([("ledger.manifest", behind)]))) == []
    assert "frames end at sequence 3" in next(manifests_match_records(context([("ledger.manifest", ahead)]))).message


def test_a_failed_emit_overlapping_another_emit_of_the_same_signal_is_not_blamed_for_its_durability() -> None:
    events = [("emit.start", {"signal_id": "S", "durable": False}), ("emit.start", {"signal_id": "S", "durable": False}),
              ("emit.result", {"signal_id": "S", "status": "failed", "durable": True})]
    assert list(reports_match_facts(context(events))) == []


def test_an_open_days_revision_is_judged_only_while_every_segment_is_clean() -> None:
    """An open day's event says `clean` rather than listing its segments: a torn or rotten segment
    beside it leaves the revision to reconcile and no_silent_loss, as a listed unclean one did."""
    torn = dict(FILES, **{"segment-000002.log": SEGMENT_2 + b"torn"})
    newer = manifest_facts("p", manifest(sealed=False, highwater=3, records=3, segments=ENTRIES, revision=5), FILES)
    older = manifest_facts("p", manifest(sealed=False, highwater=3, records=3, segments=ENTRIES, revision=4), torn)
    assert "segments" not in older and older["clean"] is False
    assert list(manifests_match_records(context([("ledger.manifest", newer), ("ledger.manifest", older)]))) == []
