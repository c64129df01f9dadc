"""`utc_time` asks `_utc_moment` once when a record's `ledger_written_at` is the very text of its
`emitted_at` (the writer stamps both from one clock read). The verdicts must be those of asking
about every timestamp: the old loop is kept here as the spec, over texts equal, unequal, of
other types and not UTC."""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from scenarios.invariants.model import CheckContext, Violation
from scenarios.invariants.reconcile_checks import LATE_SUFFIX, _utc_moment, utc_time
from scenarios.ledger_oracle import OraclePartition, OracleRecord, OracleSegment


def spec_utc_time(ctx: CheckContext) -> list[Violation]:
    """The ledger half of `utc_time` before the shared answer (verbatim but for `return`)."""
    for name, partition in ctx.final_visible.items():
        day_of_partition = name.removesuffix(LATE_SUFFIX)
        for record in partition.records:
            event = record.event
            emitted = _utc_moment(event.get("emitted_at"))
            if (emitted is None or _utc_moment(event.get("observed_at")) is None
                    or _utc_moment(event.get("ledger_written_at")) is None):
                return [Violation("utc_time", f"ledger record {record.signal_id} carries a non-UTC timestamp",
                                  signal_ids=(record.signal_id,), partition=name)]
            if day_of_partition != emitted.date().isoformat():
                return [Violation("utc_time",
                                  f"record {record.signal_id} emitted at {event['emitted_at']} sits in partition {name}",
                                  signal_ids=(record.signal_id,), partition=name)]
    return []


TIMES = st.sampled_from([
    "2026-01-01T10:00:00Z", "2026-01-01T10:00:00+00:00", "2026-01-01T10:00:00.5Z", "2026-01-02T00:00:00Z",
    "2026-01-01T10:00:00+02:00", "2026-01-01T10:00:00", "", "not a time", None, 0, 1, 1.0, True,
])


def context(events: list[dict]) -> CheckContext:
    records = [OracleRecord("2026-01-01", "segment-000001.log", i, f"S{i}", i + 1, event)
               for i, event in enumerate(events)]
    partition = OraclePartition("2026-01-01", [OracleSegment("segment-000001.log", 1, 1, records)])
    return CheckContext(events=[], final_visible={"2026-01-01": partition}, final_durable={}, stored_rows=[],
                        reconcile_state={}, reader_view={}, observations=None, faults_fired={})


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(TIMES, TIMES, TIMES, st.booleans()), min_size=1, max_size=4))
def test_utc_time_judges_the_ledger_as_asking_every_timestamp_did(stamps) -> None:
    events = []
    for emitted, observed, written, same in stamps:
        event = {"emitted_at": emitted, "observed_at": observed,
                 "ledger_written_at": emitted if same else written}
        events.append({key: value for key, value in event.items() if value is not None})
    ctx = context(events)
    assert list(utc_time(ctx)) == spec_utc_time(ctx)


def test_a_non_utc_written_time_beside_a_utc_emitted_time_is_still_found() -> None:
    ctx = context([{"emitted_at": "2026-01-01T10:00:00Z", "observed_at": "2026-01-01T10:00:00Z",
                    "ledger_written_at": "2026-01-01T10:00:00+02:00"}])
    assert [v.invariant for v in utc_time(ctx)] == ["utc_time"]
    same = context([{"emitted_at": "2026-01-01T10:00:00Z", "observed_at": "2026-01-01T10:00:00Z",
                     "ledger_written_at": "2026-01-01T10:00:00Z"}])
    assert list(utc_time(same)) == []
