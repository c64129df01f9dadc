"""Invariants about reconcile's discipline, about time, and about liveness."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timezone

from scenarios.invariants.model import CheckContext, Violation

LATE_SUFFIX = "-late"
_UTC = timezone.utc


def reconcile_discipline(ctx: CheckContext) -> Iterator[Violation]:
    """A main partition is reconciled only once sealed; the state advances only over ids the
    store holds; a late partition is reconciled again when it grows."""
    sealed_at = ctx.observations.sealed_at_index
    for event in ctx.of_kind("net.send"):
        index, node, fields = event.index, event.node, event.fields
        partition = fields.get("partition")
        if node != "reconciler" or not partition or partition.endswith(LATE_SUFFIX):
            continue
        if partition not in sealed_at or sealed_at[partition] > index:
            yield Violation("reconcile_discipline",
                            f"reconcile replayed {fields.get('signal_id')} of main partition {partition} "
                            "before the partition was sealed",
                            signal_ids=(str(fields.get("signal_id")),), partition=partition, trace_indices=(index,))
            break
    for event in ctx.of_kind("reconcile.state"):
        index, fields = event.index, event.fields
        if fields.get("missing"):
            yield Violation("reconcile_discipline",
                            f"reconcile state of {fields['partition']} covers sequence {fields['highwater']} "
                            f"but the store lacks {len(fields['missing'])} of those signals",
                            signal_ids=tuple(fields["missing"][:20]), partition=fields["partition"],
                            trace_indices=(index,))
            break
    for event in ctx.of_kind("reconcile.result"):
        index, fields = event.index, event.fields
        partition, highwater, covered = fields.get("partition"), fields.get("highwater"), fields.get("state_highwater")
        if (fields.get("status") == "up_to_date" and partition and partition.endswith(LATE_SUFFIX)
                and highwater is not None and covered is not None and highwater > covered):
            yield Violation("reconcile_discipline",
                            f"late partition {partition} grew to {highwater} but reconcile judged it up to date "
                            f"at {covered}",
                            partition=partition, trace_indices=(int(index),))
            break
    if not ctx.observations.converged:
        return
    for name, partition in ctx.final_visible.items():
        if not name.endswith(LATE_SUFFIX) or not partition.records:
            continue
        highwater = max(record.sequence for record in partition.records)
        if ctx.reconcile_state.get(name, 0) < highwater:
            yield Violation("reconcile_discipline",
                            f"late partition {name} grew to {highwater} but reconcile state stays at "
                            f"{ctx.reconcile_state.get(name, 0)}",
                            partition=name)


def _utc_moment(text: object) -> datetime | None:
    """The moment `text` names when it is an ISO 8601 time with a zero UTC offset ('Z' or +00:00), else None."""
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text if type(text) is str else str(text))  # 3.11 reads 'Z' itself
    except ValueError:
        return None
    # "a zero UTC offset", read off the zone: `fromisoformat` gives an offset as `timezone(offset)`,
    # and a zero one without a name is the `timezone.utc` singleton (naive: no zone). Half the cost
    # of asking `utcoffset()` through the zone's method; a test holds it to that question.
    return moment if moment.tzinfo is _UTC else None


def _canonical_day(name: str) -> date | None:
    """The date a partition's day names when the name is that date's own ISO text, else None.

    WHY: `date.isoformat()` always writes the canonical 'YYYY-MM-DD', so for such a name "the text
    of `emitted.date()` is the name" is "`emitted.date()` is this date", a comparison of two dates
    rather than a text formatted per record (the formatting was a fifth of the checker)."""
    try:
        day = date.fromisoformat(name)
    except ValueError:
        return None
    return day if day.isoformat() == name else None


def utc_time(ctx: CheckContext) -> Iterator[Violation]:
    """Every stored timestamp is tz-aware UTC; the partition is the UTC date of emitted_at."""
    # `_utc_moment` written out for a text (`str`, as the writer and the store give them): its
    # frame cost as much as the parse, at five timestamps per signal. Anything else goes through it.
    fromisoformat = datetime.fromisoformat
    for name, partition in ctx.final_visible.items():
        day_of_partition = name.removesuffix(LATE_SUFFIX)
        day = _canonical_day(day_of_partition)
        for record in partition.records:
            timestamps = record.timestamps
            emitted_text, written_text = timestamps.get("emitted_at"), timestamps.get("ledger_written_at")
            if type(emitted_text) is str:
                try:
                    emitted = fromisoformat(emitted_text) if emitted_text else None
                except ValueError:
                    emitted = None
                if emitted is not None and emitted.tzinfo is not _UTC:
                    emitted = None
            else:
                emitted = _utc_moment(emitted_text)
            if emitted is not None:
                observed_text = timestamps.get("observed_at")
                if type(observed_text) is str:
                    try:
                        observed = fromisoformat(observed_text) if observed_text else None
                    except ValueError:
                        observed = None
                    observed_utc = observed is not None and observed.tzinfo is _UTC
                else:
                    observed_utc = _utc_moment(observed_text) is not None
            # the writer stamps both times from one clock read: the same text has the same answer
            # (`_utc_moment` is a function of the text alone), asked once; `type` first, as
            # `1 == 1.0` holds between texts that `str` makes different
            if (emitted is None or not observed_utc
                    or (not (type(written_text) is str and written_text == emitted_text)
                        and _utc_moment(written_text) is None)):
                yield Violation("utc_time", f"ledger record {record.signal_id} carries a non-UTC timestamp",
                                signal_ids=(record.signal_id,), partition=name)
                return
            if (emitted.date() != day if day is not None
                    else day_of_partition != emitted.date().isoformat()):
                yield Violation("utc_time",
                                f"record {record.signal_id} emitted at {timestamps['emitted_at']} sits in partition {name}",
                                signal_ids=(record.signal_id,), partition=name)
                return
    for row in ctx.stored_rows:
        # the store writes its own texts (`+00:00` where the ledger has `Z`): each is asked
        for text in (row[4], row[5]):
            if type(text) is str:
                try:
                    moment = fromisoformat(text) if text else None
                except ValueError:
                    moment = None
                utc = moment is not None and moment.tzinfo is _UTC
            else:
                utc = _utc_moment(text) is not None
            if not utc:
                yield Violation("utc_time", f"stored row {row[0]} carries a non-UTC timestamp", signal_ids=(row[0],))
                return


def liveness(ctx: CheckContext) -> Iterator[Violation]:
    """After the heal, the system converges within the bounded time; nothing deadlocks."""
    if ctx.observations.deadlock:
        yield Violation("liveness", f"deadlock: {ctx.observations.deadlock}")
    elif not ctx.observations.converged:
        latest: dict[str, tuple[int, str]] = {}
        for index, _, _, _, fields in ctx.of_kind("reconcile.result"):
            latest[str(fields.get("partition"))] = (int(index), str(fields.get("status")))
        if ctx.beyond_promise and any(status == "corrupt" for _, status in latest.values()):
            # a corrupt partition cannot converge, and reconcile said so: that is all the promise
            # asks of it; every other partition must still have reached up to date
            stuck = sorted((name, index, status) for name, (index, status) in latest.items()
                           if status not in ("up_to_date", "corrupt"))
            for name, index, status in stuck:
                yield Violation("liveness",
                                f"partition {name} ended the liveness phase {status}: a corrupt partition "
                                "elsewhere excuses only itself",
                                partition=name, trace_indices=(index,))
            return
        yield Violation("liveness", "reconcile did not converge within the liveness phase's time bound")
