"""Planted bugs of the ledger reader's strict checks: the ones that only damage beyond a CRC can show.

A frame's CRC proves the frame whole; it cannot prove that a frame is missing, or that one is there
twice. Those take the manifest's counts (a sealed segment holds exactly the records and bytes its
manifest lists) and the sequence order (sequences strictly increase in read order). The first two
bugs below drop one of the two, the way a reader "simplified" because "the CRCs already passed"
would; the third keeps a verification after the bytes it vouched for changed.
"""
from __future__ import annotations

from omen.ledger import bytes_memo as memo_module
from omen.ledger import reader as reader_module
from omen.ledger.layout import require_partition_name
from omen.schema import is_late_partition
from scenarios.bugzoo.registry import PlantedBug, register

Reader = reader_module.LedgerReader
_original_get_partition_info = Reader.get_partition_info


# 26. a sealed segment is no longer held to its manifest's record count and size -------------------
def _entries_never_held(manifest):  # noqa: ANN001, ANN202
    return {}  # the bug: "every frame passed its CRC, so the segment is whole"


def _info_trusting_sealed_manifest(self, partition: str, **options):  # noqa: ANN001, ANN003, ANN202
    require_partition_name(partition)
    manifest, names = self._layout(partition)
    if manifest is None or not manifest.sealed:
        return _original_get_partition_info(self, partition, **options)
    reader_module.check_listed_segments(partition, manifest, names)
    # the bug: the stat of each sealed segment against its manifest size was dropped to save a call
    return reader_module.PartitionInfo(
        partition=partition,
        is_late=is_late_partition(partition),
        is_sealed=True,
        highwater_sequence=manifest.highwater_sequence,
        manifest_revision=manifest.revision,
        record_count=manifest.record_count,
        segments=tuple(names),
    )


register(PlantedBug(
    "reader_ignores_manifest_counts",
    "the reader no longer holds a sealed segment to the record count and size its manifest lists, so a "
    "sealed segment emptied, cut on a frame boundary or missing a whole frame reads as fewer records, "
    "with no error",
    "a sealed segment holds exactly its manifest's records; any less is reported, never read as whole",
    "no_silent_loss",
    ("lost_writes",),
    lambda: [(reader_module, "held_entries", _entries_never_held),
             (Reader, "get_partition_info", _info_trusting_sealed_manifest)],
))


# 27. the reader yields a duplicated or swapped frame ------------------------------------------------
def _checked_segments_in_any_order(self, partition, *, layout=None, reread_closed=True, start=0,  # noqa: ANN001, ANN202
                                   last_sequence=0):
    require_partition_name(partition)
    manifest, names = layout if layout is not None else self._layout(partition)
    reader_module.check_listed_segments(partition, manifest, names)
    partition_sealed = bool(manifest and manifest.sealed)
    held = reader_module.held_entries(manifest)
    for position, name in enumerate(names):
        if position < start:
            continue  # taken as checked by the caller
        data, mode = self._read_segment(partition, name)
        entry = held.get(name)
        tolerate = reader_module.tolerates_torn_tail(position=position, segment_count=len(names),
                                                     partition_sealed=partition_sealed, entry=entry, mode=mode)
        segment, _increasing = self._verified_segment(partition, name, data, tolerate, entry)
        # the bug: no check that sequences strictly increase ("the writer only ever appends the next
        # one"), so a frame a disk stored twice, or two frames it swapped, are yielded as they lie
        yield segment


register(PlantedBug(
    "reader_continues_past_duplicated_frame",
    "the reader no longer demands that sequences strictly increase in read order within a partition, so "
    "a duplicated or swapped frame (valid CRCs) is yielded as [1, 1, 2, ...] or [2, 1, 3, ...]",
    "sequences strictly increase in read order; a repeated or reordered frame is reported as damage",
    "monotonic_sequence",
    ("lost_writes",),
    lambda: [(Reader, "_checked_segments", _checked_segments_in_any_order)],
))


# 29. the memo of verified segments outlives the damage a read found ------------------------------
def _forget_nothing(self, key):  # noqa: ANN001, ANN202
    return None  # the bug: "a segment that failed its check is not remembered anyway"


register(PlantedBug(
    "verified_memo_outlives_damage",
    "when a read finds a segment's bytes changed since the reader verified them, the reader keeps the "
    "old verification, so a reconcile pass between scrubs (which does not read closed segments it "
    "verified) takes a damaged segment as whole again and an open day reads as healthy",
    "once a read saw a closed segment's bytes differ, no later pass takes its old verification",
    "liveness",
    ("chaos",),
    lambda: [(memo_module.BytesMemo, "forget", _forget_nothing)],
))
