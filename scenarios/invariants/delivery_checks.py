"""Invariants about delivery: exactly-once, persist-before-ack, no silent loss."""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

from scenarios.invariants.model import CheckContext, Violation

ACKNOWLEDGED = frozenset({"delivered", "duplicate", "deferred"})


def exactly_once(ctx: CheckContext) -> Iterator[Violation]:
    """At the end RiskCast holds exactly the signal ids durable in the ledger, one row each;
    at most one 200 per signal id; every 409 carries the original ack_id."""
    ids = ctx.stored_ids()
    rows = Counter(ids)
    # a count above one exists exactly when there are fewer distinct ids than rows: looked for only then
    duplicated = sorted(sid for sid, count in rows.items() if count > 1) if len(rows) < len(ids) else []
    if duplicated:
        yield Violation("exactly_once", f"{len(duplicated)} signal(s) stored more than once",
                        signal_ids=tuple(duplicated[:20]))
    first_200: dict[str, tuple[int, str]] = {}
    for event in ctx.of_kind("ingest.result"):
        index, fields = event.index, event.fields
        sid, status, ack = fields.get("signal_id"), fields.get("status"), fields.get("ack_id")
        if status == 200:
            if sid in first_200:
                yield Violation("exactly_once", f"signal {sid} was answered 200 twice",
                                signal_ids=(sid,), trace_indices=(first_200[sid][0], index))
            else:
                first_200[sid] = (index, ack)
        elif status == 409 and sid in first_200 and ack != first_200[sid][1]:
            yield Violation("exactly_once",
                            f"a 409 for {sid} carries ack_id {ack}, the original is {first_200[sid][1]}",
                            signal_ids=(sid,), trace_indices=(first_200[sid][0], index))
    if ctx.beyond_promise:
        return  # the ledger itself may have lost data: no_silent_loss judges that run
    ledger_ids = ctx.durable_ids()
    stored = set(rows)
    lost = sorted(ledger_ids - stored)
    unexpected = sorted(stored - ledger_ids)
    if lost:
        yield Violation("exactly_once", f"{len(lost)} signal(s) durable in the ledger never reached RiskCast",
                        signal_ids=tuple(lost[:20]))
    if unexpected:
        yield Violation("exactly_once", f"RiskCast holds {len(unexpected)} signal(s) the ledger does not have",
                        signal_ids=tuple(unexpected[:20]))


def persist_before_ack(ctx: CheckContext) -> Iterator[Violation]:
    """Every ack_id sent in a 200 names a committed row that survived every RiskCast crash."""
    final = {row[0]: row[1] for row in ctx.stored_rows}
    for event in ctx.of_kind("ingest.result"):
        index, fields = event.index, event.fields
        if fields.get("status") != 200:
            continue
        sid, ack = fields.get("signal_id"), fields.get("ack_id")
        if final.get(sid) != ack:
            now = final.get(sid)
            yield Violation(
                "persist_before_ack",
                f"signal {sid} was acknowledged with {ack}, but the stored row "
                + ("is missing" if now is None else f"carries {now}"),
                signal_ids=(sid,),
                trace_indices=(index,),
            )


def _reader_yields_short_sealed_segments(ctx: CheckContext) -> Iterator[Violation]:
    """A sealed segment is held to the records and bytes its manifest lists: one that holds fewer
    (emptied, cut on a frame boundary, a whole frame gone) has lost records no CRC can show, and the
    manifest is the only witness. A reader that yields such a partition without an error hands
    reconcile a shorter ledger as if it were whole: the loss goes unreported."""
    for name, partition in ctx.final_visible.items():
        if not isinstance(ctx.reader_view.get(name), list):
            continue
        mismatched = partition.held_mismatches()
        if mismatched:
            yield Violation("no_silent_loss",
                            f"the ledger reader yields partition {name} without an error, but sealed segment(s) "
                            f"{mismatched} do not hold the records and bytes its manifest lists",
                            partition=name)


def no_silent_loss(ctx: CheckContext) -> Iterator[Violation]:
    """Acknowledged signals are never lost; under faults beyond the promise, loss is reported."""
    results = ctx.of_kind("reconcile.result")
    reported_extra = {sid for event in results for sid in event.fields.get("extra") or []}
    reported_corrupt = {event.fields["partition"] for event in results if event.fields.get("status") == "corrupt"}
    stored = set(ctx.stored_ids())
    yield from _reader_yields_short_sealed_segments(ctx)
    if ctx.beyond_promise:
        # salvage: a damaged partition loses only its damaged records, each stored one named as extra
        intact = {name: {r.signal_id for r in p.intact_records} for name, p in ctx.final_visible.items()}
        silent = sorted(sid for sid in stored - set().union(*intact.values()) if sid not in reported_extra)
        if silent:
            yield Violation("no_silent_loss",
                            f"{len(silent)} stored signal(s) left the ledger and reconcile never reported them",
                            signal_ids=tuple(silent[:20]))
        last = {event.fields["partition"]: event.fields for event in results}
        for name, fields in sorted(last.items()):
            if fields.get("status") != "corrupt":
                continue
            deliverable = name.endswith("-late") or getattr(ctx.final_visible.get(name), "sealed", None) is True
            undelivered = sorted(intact.get(name, set()) - stored) if deliverable else []
            if undelivered:
                yield Violation("no_silent_loss", f"partition {name} is damaged and {len(undelivered)} of its intact "
                                "record(s) were never delivered", signal_ids=tuple(undelivered[:20]), partition=name)
            misreported = sorted(set(fields.get("extra") or []) & intact.get(name, set()))
            if misreported:
                yield Violation("no_silent_loss", f"reconcile reports {len(misreported)} signal(s) of {name} lost "
                                "that are intact in the ledger", signal_ids=tuple(misreported[:20]), partition=name)
        for name, partition in ctx.final_visible.items():
            damaged = any(not segment.clean for segment in partition.segments[:-1])
            if damaged and name not in reported_corrupt and isinstance(ctx.reader_view.get(name), str):
                yield Violation("no_silent_loss", f"partition {name} is corrupt and reconcile never said so",
                                partition=name)
        return
    durable_ids = ctx.durable_ids()
    for event in ctx.of_kind("emit.result"):
        index, fields = event.index, event.fields
        if fields.get("status") not in ACKNOWLEDGED:
            continue
        sid = fields.get("signal_id")
        if sid not in durable_ids:
            yield Violation("no_silent_loss",
                            f"signal {sid} was written ({fields.get('status')}) but is not in the recovered ledger",
                            signal_ids=(sid,), partition=fields.get("partition"), trace_indices=(index,))
        elif sid not in stored:
            yield Violation("no_silent_loss",
                            f"signal {sid} was written ({fields.get('status')}) but never reached RiskCast",
                            signal_ids=(sid,), partition=fields.get("partition"), trace_indices=(index,))

