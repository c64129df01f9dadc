"""`utc_time` asks `_utc_moment` once when a record's `ledger_written_at` is the very text of its
`emitted_at` (the writer stamps both from one clock read), and `_utc_moment` reads a zero offset off
the zone `fromisoformat` gives. The verdicts must be those of asking about every timestamp with
`utcoffset()`: the old loop and the old function are kept here as the spec."""
from __future__ import annotations

from datetime import datetime

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
            event = record.timestamps  # the record's `event` then, its timestamps now
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


def spec_utc_moment(text: object):
    """`_utc_moment` before reading the zero offset off the zone (verbatim)."""
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text if type(text) is str else str(text))
    except ValueError:
        return None
    offset = moment.utcoffset()
    return moment if offset is not None and not offset else None


OFFSETS = ["Z", "z", "+00:00", "-00:00", "+0000", "+00", "+00:00:00", "-00:00:00.000000", "+00:00:00.000001",
           "+01:00", "-05:30", "+23:59", "-00:01", "", " ", "UTC", "+24:00"]


@settings(max_examples=400, deadline=None)
@given(moment=st.datetimes(), offset=st.sampled_from(OFFSETS), sep=st.sampled_from(["T", " ", "t"]),
       timespec=st.sampled_from(["auto", "hours", "minutes", "seconds", "milliseconds", "microseconds"]))
def test_the_zero_offset_is_read_off_the_zone_as_utcoffset_judged_it(moment, offset, sep, timespec) -> None:
    text = moment.isoformat(sep=sep, timespec=timespec) + offset
    assert _utc_moment(text) == spec_utc_moment(text)
    assert (_utc_moment(text) is None) == (spec_utc_moment(text) is None)


def test_the_zero_offset_edges() -> None:
    for text in ["2026-01-01T10:00:00" + offset for offset in OFFSETS] + [
            "2026-01-01", "2026-01-01T10:00:00+00:00[UTC]", "20260101T100000Z", None, "", 0, 1.5, True]:
        got, want = _utc_moment(text), spec_utc_moment(text)
        assert (got, None if got is None else got.tzinfo) == (want, None if want is None else want.tzinfo), text


def spec_utc_time_with_rows(ctx: CheckContext) -> list[Violation]:
    """`utc_time` before its written-out parse and the partition's date compared as a date
    (verbatim but for `return` and the list)."""
    for name, partition in ctx.final_visible.items():
        day_of_partition = name.removesuffix(LATE_SUFFIX)
        for record in partition.records:
            event = record.timestamps  # the record's `event` then, its timestamps now
            emitted_text, written_text = event.get("emitted_at"), event.get("ledger_written_at")
            emitted = _utc_moment(emitted_text)
            if (emitted is None or _utc_moment(event.get("observed_at")) is None
                    or (not (type(written_text) is str and written_text == emitted_text)
                        and _utc_moment(written_text) is None)):
                return [Violation("utc_time", f"ledger record {record.signal_id} carries a non-UTC timestamp",
                                  signal_ids=(record.signal_id,), partition=name)]
            if day_of_partition != emitted.date().isoformat():
                return [Violation("utc_time",
                                  f"record {record.signal_id} emitted at {event['emitted_at']} sits in partition {name}",
                                  signal_ids=(record.signal_id,), partition=name)]
    for row in ctx.stored_rows:
        if _utc_moment(row[4]) is None or _utc_moment(row[5]) is None:
            return [Violation("utc_time", f"stored row {row[0]} carries a non-UTC timestamp", signal_ids=(row[0],))]
    return []


PARTITION_NAMES = st.sampled_from(["2026-01-01", "2026-01-02", "2026-01-01-late", "20260101", "2026-1-01",
                                   "2026-01-01T00", "not a day", "0001-01-01", "2026-02-30"])
ROW_TIMES = st.one_of(TIMES, st.sampled_from([b"2026-01-01T10:00:00Z", 1.5]))


@settings(max_examples=400, deadline=None)
@given(st.lists(st.tuples(PARTITION_NAMES, st.lists(st.tuples(TIMES, TIMES, TIMES, st.booleans()), max_size=3)),
                max_size=3),
       st.lists(st.tuples(st.booleans(), ROW_TIMES, ROW_TIMES), max_size=4))
def test_utc_time_judges_records_and_rows_as_before(partitions, rows) -> None:
    """Any partition names (canonical days, late ones, texts `date.fromisoformat` reads but does not
    write, none at all) and stored rows whose `emitted_at` is a ledger record's text or any other."""
    final_visible: dict[str, OraclePartition] = {}
    emitted_texts = []
    for name, stamps in partitions:
        records = []
        for i, (emitted, observed, written, same) in enumerate(stamps):
            event = {"emitted_at": emitted, "observed_at": observed, "ledger_written_at": emitted if same else written}
            records.append(OracleRecord(name, "segment-000001.log", i, f"S{i}", i + 1,
                                        {key: value for key, value in event.items() if value is not None}))
            emitted_texts.append(emitted)
        final_visible[name] = OraclePartition(name, [OracleSegment("segment-000001.log", 1, 1, records)])
    stored_rows = [("R", "A", None, None, emitted_texts[0] if from_ledger and emitted_texts else emitted, received)
                   for from_ledger, emitted, received in rows]
    ctx = CheckContext(events=[], final_visible=final_visible, final_durable={}, stored_rows=stored_rows,
                       reconcile_state={}, reader_view={}, observations=None, faults_fired={})
    assert list(utc_time(ctx)) == spec_utc_time_with_rows(ctx)
