"""Checkers whose loops were trimmed, against the loops they replaced (kept here verbatim as the spec,
renamed): `reports_match_facts` reads each field of an ingest answer once, and `monotonic_sequence`
skips a crash snapshot whose frames all sit where the final frames hold them and builds the set of
copies only when copies are excused. The verdicts, messages and order must be the same on any trace."""
from __future__ import annotations

from collections.abc import Iterator
from operator import itemgetter
from types import SimpleNamespace

from hypothesis import given, settings
from hypothesis import strategies as st

from scenarios.invariants.ledger_checks import DUPLICATING_FAULTS, _reader_yields_out_of_order, monotonic_sequence
from scenarios.invariants.model import CheckContext, Violation
from scenarios.invariants.report_checks import INGEST_STATUS_OF, NOT_FAILED, reports_match_facts
from scenarios.ledger_oracle import OraclePartition, OracleRecord, OracleSegment
from scenarios.observers.observations import CrashSnapshot
from sim.trace import TraceEvent


def spec_reports_match_facts(ctx: CheckContext) -> Iterator[Violation]:
    """Each emit result and each reconcile replay claim, held against the facts seen so far."""
    answered: set[tuple[str, int, str]] = set()
    accepted: set[str] = set()
    durable_at_start: dict[str, bool] = {}
    in_flight: dict[str, int] = {}  # emits of a signal started and not yet answered
    alone: dict[str, bool] = {}  # no other emit of the signal overlapped the one in flight
    events = sorted([*ctx.of_kind("ingest.result"), *ctx.of_kind("emit.start"), *ctx.of_kind("emit.result"),
                     *ctx.of_kind("reconcile.result")], key=itemgetter(0))  # by `index`
    beyond_promise = ctx.beyond_promise  # a fact of the whole run: asked once, not at every answer
    # read only when the run stayed within the promise (below), so derived only then (and shared)
    placed = {} if beyond_promise else ctx.placed()
    for index, _, _, kind, fields in events:
        get = fields.get
        if kind == "ingest.result":
            if get("status") in (200, 409) and get("ack_id"):
                answered.add((str(fields["signal_id"]), int(fields["status"]), str(fields["ack_id"])))
                accepted.add(str(fields["signal_id"]))
            continue
        if kind == "emit.start":
            # a signal emitted again may already be durable from an earlier emit, or become durable
            # through another emit of it in flight at the same time: only what a lone emit changed
            # is its own doing
            sid = str(get("signal_id"))
            flight = in_flight.get(sid, 0) + 1
            in_flight[sid] = flight
            alone[sid] = flight == 1
            durable_at_start[sid] = bool(get("durable"))
            continue
        if kind == "reconcile.result":
            unconfirmed = [sid for sid in get("replayed") or [] if sid not in accepted]
            if unconfirmed:
                yield Violation("reports_match_facts",
                                f"reconcile reported {len(unconfirmed)} signal(s) of {get('partition')} "
                                "replayed that RiskCast never accepted",
                                signal_ids=tuple(unconfirmed[:20]), partition=get("partition"),
                                trace_indices=(int(index),))
                return
            continue
        sid, status = str(get("signal_id")), get("status")
        # the count in flight read once: `max(count - 1, 0)` and `count > 1` of the same count
        flight = in_flight.get(sid, 0)
        overlapped = not alone.get(sid, True) or flight > 1
        in_flight[sid] = flight - 1 if flight > 1 else 0
        if flight <= 1:
            alone[sid] = True
        message = None
        wanted = INGEST_STATUS_OF.get(status)
        if wanted is not None and (sid, wanted, str(get("ack_id"))) not in answered:
            message = f"the emitter said {status} with ack {get('ack_id')}, but RiskCast never answered {wanted} with it"
        elif (status == "failed" and get("durable") and not durable_at_start.get(sid, False)
              and not overlapped and not beyond_promise):
            message = "the emitter said failed (nothing written), but the record was durable in the ledger"
        elif status in NOT_FAILED and not beyond_promise:
            holder = placed.get((get("partition"), get("sequence")))
            if get("durable") is False:
                message = f"the emitter said {status} (in the ledger), but the record was not durable"
            elif holder is not None and holder != sid:
                message = (f"the writer placed it at {fields.get('partition')}#{fields.get('sequence')}, "
                           f"but that frame holds {holder}")
        if message is not None:
            yield Violation("reports_match_facts", f"signal {sid}: {message}", signal_ids=(sid,),
                            partition=fields.get("partition"), trace_indices=(int(index),))
            return


def spec_monotonic_sequence(ctx: CheckContext) -> Iterator[Violation]:
    """In every partition, ledger_sequence strictly increases in read order, across segments
    and restarts; a number once durable is never reused; the system's reader never yields a
    partition whose frames repeat or go back in sequence (it refuses it: LedgerCorruptionError).

    A disk that stores a write twice (`disk.duplicate_write`) repeats what the writer wrote once (a
    frame, or a group commit's run of frames): such a copy (the signal and sequence of a frame
    before it) is the disk's doing, not the writer's, so only the reader is judged on it."""
    copies_excused = any(ctx.faults_fired.get(kind, 0) > 0 for kind in DUPLICATING_FAULTS)
    for name, partition in ctx.final_visible.items():
        previous = 0
        seen: set[tuple[int, str]] = set()
        for record in partition.records:
            if copies_excused and (record.sequence, record.signal_id) in seen:
                continue
            seen.add((record.sequence, record.signal_id))
            if record.sequence <= previous:
                yield Violation(
                    "monotonic_sequence",
                    f"partition {name}: sequence {record.sequence} in {record.segment} at byte "
                    f"{record.offset_bytes} follows {previous}",
                    signal_ids=(record.signal_id,),
                    partition=name,
                )
                break
            previous = record.sequence
    yield from _reader_yields_out_of_order(ctx)
    if ctx.beyond_promise:
        return
    final = ctx.placed()
    for snapshot in ctx.observations.crash_snapshots:
        index, recovered = snapshot.index, snapshot.placed
        for key in sorted(recovered):
            now = final.get(key)
            if now != recovered[key]:
                what = "lost" if now is None else f"reused by {now}"
                yield Violation(
                    "monotonic_sequence",
                    f"partition {key[0]} sequence {key[1]} held {recovered[key]} after the crash at "
                    f"trace index {index}, and is {what} at the end",
                    signal_ids=(recovered[key],),
                    partition=key[0],
                    trace_indices=(index,),
                )
                break


IDS = st.sampled_from(["A", "B", "C"])
INGEST = st.fixed_dictionaries({"signal_id": IDS}, optional={
    "status": st.sampled_from([200, 409, 500, 200.0, None, True]), "ack_id": st.sampled_from(["k1", "k2", "", None, 7])})
EMIT_START = st.fixed_dictionaries({"signal_id": IDS}, optional={"durable": st.sampled_from([True, False, None])})
EMIT_RESULT = st.fixed_dictionaries({"signal_id": IDS}, optional={
    "status": st.sampled_from(["delivered", "duplicate", "deferred", "failed", "refused"]),
    "ack_id": st.sampled_from(["k1", "k2", None]), "durable": st.sampled_from([True, False, None]),
    "partition": st.sampled_from(["p", "q"]), "sequence": st.integers(1, 3)})
RECONCILE = st.fixed_dictionaries({"partition": st.just("p")}, optional={"replayed": st.lists(IDS, max_size=2)})
EVENT = st.one_of(st.tuples(st.just("ingest.result"), INGEST), st.tuples(st.just("emit.start"), EMIT_START),
                  st.tuples(st.just("emit.result"), EMIT_RESULT), st.tuples(st.just("reconcile.result"), RECONCILE))
FRAMES = st.lists(st.tuples(st.sampled_from(["p", "q"]), st.integers(1, 4), IDS), max_size=6)


def context(events, frames, snapshots=(), fired=None) -> CheckContext:
    numbered = [TraceEvent(index, 1.0, "omen", kind, fields) for index, (kind, fields) in enumerate(events)]
    partitions: dict[str, OraclePartition] = {}
    for offset, (name, sequence, sid) in enumerate(frames):
        partition = partitions.setdefault(name, OraclePartition(name, [OracleSegment("segment-000001.log", 1, 1)]))
        partition.segments[0].records.append(OracleRecord(name, "segment-000001.log", offset, sid, sequence, {}))
    observations = SimpleNamespace(crash_snapshots=[CrashSnapshot(index, placed, set(), set())
                                                    for index, placed in snapshots])
    return CheckContext(events=numbered, final_visible=partitions, final_durable=partitions, stored_rows=[],
                        reconcile_state={}, reader_view={name: [] for name in partitions},
                        observations=observations, faults_fired=fired or {})


FIRED = st.sampled_from([{}, {"disk.bitflip": 1}, {"disk.duplicate_write": 2}, {"disk.duplicate_write": 0}])


@settings(max_examples=500, deadline=None)
@given(events=st.lists(EVENT, max_size=12), frames=FRAMES, fired=FIRED)
def test_reports_match_facts_judges_as_the_loop_it_replaced(events, frames, fired) -> None:
    ctx, spec = context(events, frames, fired=fired), context(events, frames, fired=fired)
    assert list(reports_match_facts(ctx)) == list(spec_reports_match_facts(spec))


SNAPSHOT = st.dictionaries(st.tuples(st.sampled_from(["p", "q"]), st.integers(1, 4)), IDS, max_size=5)


@settings(max_examples=500, deadline=None)
@given(frames=FRAMES, snapshots=st.lists(st.tuples(st.integers(0, 9), SNAPSHOT), max_size=4), fired=FIRED)
def test_monotonic_sequence_judges_as_the_loop_it_replaced(frames, snapshots, fired) -> None:
    ctx, spec = context([], frames, snapshots, fired), context([], frames, snapshots, fired)
    assert list(monotonic_sequence(ctx)) == list(spec_monotonic_sequence(spec))


def test_a_snapshot_whose_frame_moved_is_still_found() -> None:
    frames = [("p", 1, "A"), ("p", 2, "B")]
    for placed in ({("p", 1): "A", ("p", 2): "C"}, {("p", 3): "A"}, {("p", 1): "A", ("q", 1): "B"}):
        found = list(monotonic_sequence(context([], frames, [(5, placed)])))
        assert [v.invariant for v in found] == ["monotonic_sequence"], placed
    assert list(monotonic_sequence(context([], frames, [(5, {("p", 2): "B"})]))) == []
