"""Invariant `manifests_match_records`: what a manifest claims, the frames hold.

The manifest is metadata the writer writes and reconcile acts on (a sealed day's highwater
bounds what reconcile replays; a late day's highwater and revision tell it to look again), yet
nothing else compares it with the records it describes. The rules are the format's own
(docs/ledger-format.md): a sealed partition's manifest is authoritative, so its highwater, record
count and every segment's record count and size equal the frames; a late partition's manifest
is rewritten after each record is durable, so it never claims more than the frames hold (it may
claim less: a crash between a record's fsync and the manifest's replace leaves it behind until
the next write, and readers scan an unsealed partition's segments anyway; found by `chaos` seed
140); a revision never goes backwards.
"""
from __future__ import annotations

from collections.abc import Iterator

from scenarios.invariants.model import CheckContext, Violation, drops_manifest_rename

LATE_SUFFIX = "-late"


def _mismatch(fields: dict) -> str | None:
    if fields["claimed_highwater"] != fields["highwater"]:
        return f"highwater {fields['claimed_highwater']} but the frames end at sequence {fields['highwater']}"
    if fields["claimed_records"] != fields["records"]:
        return f"{fields['claimed_records']} records but the frames hold {fields['records']}"
    return None


def _overclaim(fields: dict) -> str | None:
    if fields["claimed_highwater"] > fields["highwater"]:
        return f"highwater {fields['claimed_highwater']} but the frames end at sequence {fields['highwater']}"
    if fields["claimed_records"] > fields["records"]:
        return f"{fields['claimed_records']} records but the frames hold only {fields['records']}"
    return None


def _segment_mismatch(fields: dict) -> str | None:
    claimed = [(name, records, size) for name, records, size, _ in fields["claimed_segments"]]
    actual = [(name, records, size) for name, records, size, _ in fields["segments"]]
    if claimed != actual:
        return f"segments {claimed} but the files are {actual}"
    return None


def _replace_lost_in_a_crash(ctx: CheckContext, partition: str, after: int, before: int) -> bool:
    """Whether a power loss between two looks dropped the rename that put the newer manifest in
    place: its directory fsync had not happened or had failed (Linux keeps such an entry pending
    after an EIO), so the older manifest is what the disk durably held, and comes back.

    Found by `fsync_errors` seed 300306: a seal whose directory fsync failed was visible (and
    reconcile acted on it), a crash undid it, and the writer sealed the day again."""
    return any(after < event.index < before and drops_manifest_rename(event.fields, partition)
               for event in ctx.of_kind("disk.crash"))


def manifests_match_records(ctx: CheckContext) -> Iterator[Violation]:
    """Every manifest the world saw, held against the frames beside it at that moment."""
    revisions: dict[str, tuple[int, int]] = {}
    for index, _, _, _, fields in ctx.of_kind("ledger.manifest"):
        partition = fields["partition"]
        # an open day's event says `clean` (no segment lists, see scenarios/observers/manifests.py)
        clean = fields["clean"] if "clean" in fields else all(clean for *_, clean in fields["segments"])
        if not clean:
            continue  # damaged frames: reconcile and no_silent_loss judge what they lost
        message = None
        if fields["sealed"]:
            message = _mismatch(fields) or _segment_mismatch(fields)
        elif partition.endswith(LATE_SUFFIX):
            message = _overclaim(fields)
        if message is not None and not ctx.beyond_promise:
            yield Violation("manifests_match_records", f"the manifest of {partition} claims {message}",
                            partition=partition, trace_indices=(int(index),))
            return
        previous = revisions.get(partition)
        if (previous is not None and fields["revision"] < previous[0] and not ctx.beyond_promise
                and not _replace_lost_in_a_crash(ctx, partition, previous[1], int(index))):
            yield Violation("manifests_match_records",
                            f"the manifest of {partition} went back from revision {previous[0]} to "
                            f"{fields['revision']}",
                            partition=partition, trace_indices=(previous[1], int(index)))
            return
        revisions[partition] = (fields["revision"], int(index))
