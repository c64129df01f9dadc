"""The manifest's segment entries, each sealed one built and serialized once.

WHY: the writer rewrites a partition's manifest at every rollover, and the manifest lists every
segment of the partition. Built afresh each time (one `SegmentEntry` model per segment, then the
whole manifest serialized), a rollover cost O(segments) model work, so a long day's rollovers
grew slower one by one. A sealed segment's entry never changes (its file is read-only, its counts
are final), so its model and its canonical JSON are kept here; a rollover builds the entries of
the segments that are not sealed (normally the one active segment) and the manifest's header
alone, and splices the kept JSON in. The bytes are the ones `Manifest.to_bytes()` gives for the
same manifest (a test holds them equal).
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from omen.ledger.manifest import Manifest, SegmentEntry
from omen.schema import canonical_json

# How `Manifest.to_bytes()` renders an empty segment list; the key occurs once (sorted keys, and no
# other value of the header is a string that could hold it: a partition name, two timestamps).
SEGMENTS_EMPTY_JSON = b'"segments":[]'


class SegmentState(Protocol):
    """What the writer knows of one segment."""

    name: str
    record_count: int
    size_bytes: int
    sealed: bool


def entry_of(segment: SegmentState) -> SegmentEntry:
    return SegmentEntry(name=segment.name, record_count=segment.record_count, size_bytes=segment.size_bytes,
                        sealed=segment.sealed)


def entry_json(entry: SegmentEntry) -> bytes:
    """The entry's canonical JSON, as it appears inside `Manifest.to_bytes()`."""
    return canonical_json(entry.model_dump(mode="json"))


def manifest_bytes(header: Manifest, entries_json: Sequence[bytes]) -> bytes:
    """`to_bytes()` of the manifest `header` describes, with the segments whose JSON is given.

    `header` carries no segments: only its own fields are serialized here, the entries' JSON is
    joined in place of its empty list."""
    assert not header.segments, "the header's segments come from entries_json"
    data = header.to_bytes()
    assert data.count(SEGMENTS_EMPTY_JSON) == 1, "the manifest JSON holds one segment list"
    return data.replace(SEGMENTS_EMPTY_JSON, b'"segments":[' + b",".join(entries_json) + b"]", 1)


class SealedEntries:
    """The entries of a partition's leading sealed segments, in order, with their JSON and counts.

    Keyed by the writer's own segment objects: the kept prefix is trusted only while it describes
    the same objects as the partition's segment list (checked at its last element, O(1)); a
    recovery replaces the list with new objects, and the prefix is rebuilt from them once.
    """

    def __init__(self) -> None:
        self._segments: list[SegmentState] = []
        self.entries: list[SegmentEntry] = []
        self.entries_json: list[bytes] = []
        self.record_count = 0

    def _reset(self) -> None:
        self._segments, self.entries, self.entries_json, self.record_count = [], [], [], 0

    def extend_over(self, segments: Sequence[SegmentState]) -> int:
        """Keep the entry of every sealed segment of the leading run of `segments`; return how many are kept."""
        kept = len(self._segments)
        if kept > len(segments) or (kept and segments[kept - 1] is not self._segments[-1]):
            self._reset()  # a recovery rebuilt the segment list: start the prefix again
            kept = 0
        for segment in segments[kept:]:
            if not segment.sealed:
                break
            entry = entry_of(segment)
            self._segments.append(segment)
            self.entries.append(entry)
            self.entries_json.append(entry_json(entry))
            self.record_count += segment.record_count
        kept = len(self._segments)
        assert kept == len(self.entries) == len(self.entries_json) <= len(segments)
        assert not kept or (self._segments[-1] is segments[kept - 1] and segments[kept - 1].sealed)
        return kept


__all__ = ["SEGMENTS_EMPTY_JSON", "SealedEntries", "SegmentState", "entry_json", "entry_of", "manifest_bytes"]
