"""Invariants about the ledger: ledger-first, monotonic sequence, recoverability, sealed immutability."""
from __future__ import annotations

from collections.abc import Iterator

from scenarios.invariants.model import BEYOND_PROMISE_FAULTS, CheckContext, Violation, drops_manifest_rename

HOT_PATH_NODES = frozenset({"omen", "reconciler"})


def ledger_first(ctx: CheckContext) -> Iterator[Violation]:
    """No push or ingest of a signal before its ledger record is durable; after any crash,
    every signal RiskCast holds is in the recovered ledger."""
    lie_index = ctx.first_fault_index(BEYOND_PROMISE_FAULTS)
    for event in ctx.of_kind("net.send"):
        index, node, fields = event.index, event.node, event.fields
        if node not in HOT_PATH_NODES or fields.get("signal_id") is None:
            continue
        if lie_index is not None and index > lie_index:
            continue
        if fields.get("durable") is False:
            yield Violation(
                "ledger_first",
                f"{node} sent signal {fields['signal_id']} before its ledger record was durable",
                signal_ids=(str(fields["signal_id"]),),
                partition=fields.get("partition"),
                trace_indices=(int(index),),
            )
    for snapshot in ctx.observations.crash_snapshots:
        index, recovered_ids, stored = snapshot.index, snapshot.recovered_ids, snapshot.stored_ids
        if lie_index is not None and index > lie_index:
            continue
        unexpected = sorted(stored - recovered_ids)
        if unexpected:
            yield Violation(
                "ledger_first",
                f"after the crash at trace index {index}, RiskCast holds {len(unexpected)} signal(s) "
                "that the recovered ledger does not have",
                signal_ids=tuple(unexpected[:20]),
                trace_indices=(index,),
            )


DUPLICATING_FAULTS = frozenset({"disk.duplicate_write"})


def monotonic_sequence(ctx: CheckContext) -> Iterator[Violation]:
    """In every partition, ledger_sequence strictly increases in read order, across segments
    and restarts; a number once durable is never reused; the system's reader never yields a
    partition whose frames repeat or go back in sequence (it refuses it: LedgerCorruptionError).

    A disk that stores a write twice (`disk.duplicate_write`) repeats what the writer wrote once (a
    frame, or a group commit's run of frames): such a copy (the signal and sequence of a frame
    before it) is the disk's doing, not the writer's, so only the reader is judged on it."""
    copies_excused = any(ctx.faults_fired.get(kind, 0) > 0 for kind in DUPLICATING_FAULTS)
    for name, partition in ctx.final_visible.items():
        previous = 0
        seen: set[tuple[int, str]] = set()  # read only when copies are excused, so kept only then
        for record in partition.records:
            if copies_excused:
                if (record.sequence, record.signal_id) in seen:
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
        # nearly every snapshot's frames are all where they were: each (key, id) also in the final
        # map is a key whose id did not change, so no key below can differ (ids are texts, whose
        # `==` and `!=` are each other's negation); otherwise the keys are walked in order as ever
        if recovered.items() <= final.items():
            continue
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


def _reader_yields_out_of_order(ctx: CheckContext) -> Iterator[Violation]:
    """The reader's view of a partition whose frames do not strictly increase must be an error: read
    order is the order reconcile replays and callers page through, and a repeated or swapped frame
    is damage to report, never records to yield."""
    for name, partition in ctx.final_visible.items():
        view = ctx.reader_view.get(name)
        if not isinstance(view, list):
            continue
        sequences = [record.sequence for record in partition.records]
        bad = next((i for i in range(1, len(sequences)) if sequences[i] <= sequences[i - 1]), None)
        if bad is not None:
            record = partition.records[bad]
            yield Violation(
                "monotonic_sequence",
                f"the ledger reader yields partition {name} without an error, but its frames go from sequence "
                f"{sequences[bad - 1]} to {record.sequence} ({record.segment} at byte {record.offset_bytes}): "
                "a repeated or reordered frame",
                signal_ids=(record.signal_id,),
                partition=name,
            )


def recoverability(ctx: CheckContext) -> Iterator[Violation]:
    """After any crash the writer restarts unaided; the reader never yields a record whose CRC
    fails; every durable record stays readable."""
    for index, message in ctx.observations.unexpected_errors:
        if ctx.beyond_promise and "LedgerCorruptionError" in message:
            continue  # the system reporting rot loudly is what invariant 7 asks of it
        yield Violation("recoverability", f"a task died of an unexpected error: {message}", trace_indices=(index,))
    for index, message in ctx.observations.crash_state_findings:
        yield Violation("recoverability", f"recovery fails in an enumerated {message}", trace_indices=(index,))
    for name in sorted(set(ctx.final_visible) | set(ctx.reader_view)):
        view = ctx.reader_view.get(name)
        oracle = ctx.final_visible.get(name)
        expected = [record.signal_id for record in oracle.records] if oracle else []
        torn_inside = oracle is not None and any(not s.clean for s in oracle.segments[:-1])
        if isinstance(view, str):
            if ctx.beyond_promise or torn_inside:
                continue
            yield Violation(
                "recoverability",
                f"the ledger reader fails on partition {name} although no fault corrupted it: {view}",
                partition=name,
            )
        elif view is not None and view != expected:
            extra = sorted(set(view) - set(expected))
            yield Violation(
                "recoverability",
                f"the ledger reader yields {len(view)} records for {name}, the valid frames hold "
                f"{len(expected)}" + (f"; it yields records that fail their check: {extra[:5]}" if extra else ""),
                signal_ids=tuple(extra[:20]),
                partition=name,
            )


def _seal_undone_by_a_crash(ctx: CheckContext, partition: str, seal_index: int) -> bool:
    """Whether the first power loss after a seal was seen dropped the rename that put the sealed
    manifest in place: its directory fsync had failed (an honest EIO; Linux keeps such an entry
    pending) or not happened yet, so the disk durably held the unsealed manifest, which comes back,
    and the day is open again, to gain records and segments and be sealed anew. The writer said so:
    its seal failed. (A seal whose rename was durable cannot be dropped: only the first crash after
    the seal can undo it.) The manifest's revision going back is allowed the same way
    (`manifests_match_records`, found by `fsync_errors` seed 300306).

    Found by `fsync_errors` seed 306316: a seal's directory fsync failed, the sealed manifest was
    visible 2.5 simulated seconds, a crash dropped its rename, and the reopened day took seven late
    records into a ninth segment. The day's next seal is judged on its own (the seal observer records
    it: `SealObserver.after_crash`)."""
    for event in ctx.of_kind("disk.crash"):
        if event.index > seal_index:
            return drops_manifest_rename(event.fields, partition)
    return False


def sealed_immutable(ctx: CheckContext) -> Iterator[Violation]:
    """Sealed segments never change; a sealed main partition gains no segment.

    Every seal the observer saw is judged, a day's reseal too (after a crash undid its seal), but
    one that the first crash after it undid honestly (`_seal_undone_by_a_crash`).

    Not judged after a fault beyond the promise: rot changes sealed bytes by definition, and a
    lying fsync can lose the sealed manifest at a crash, reopening the day (no_silent_loss judges).
    """
    if ctx.beyond_promise:
        return
    for partition, seals in sorted(ctx.observations.seals.items()):
        final = ctx.observations.final_segment_hashes.get(partition, {})
        for seal_index, segments in seals:
            if _seal_undone_by_a_crash(ctx, partition, seal_index):
                continue  # the day was reopened, not changed: this seal never reached the disk
            again = "" if seal_index == seals[0][0] else " (sealed again after a crash undid a seal)"
            changed = [name for name, digest in sorted(segments.items()) if final.get(name) != digest]
            for name in changed:
                yield Violation(
                    "sealed_immutable",
                    f"sealed segment {partition}/{name} changed after its seal{again}",
                    partition=partition,
                    trace_indices=(seal_index,),
                )
            added = sorted(set(final) - set(segments))
            if added:
                yield Violation(
                    "sealed_immutable",
                    f"sealed partition {partition} gained segment(s) {added} after its seal{again}",
                    partition=partition,
                    trace_indices=(seal_index,),
                )
            if changed or added:
                break  # one seal's damage is the day's: a later seal of the same day would repeat it
