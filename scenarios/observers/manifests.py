"""What a partition's manifest claims, next to what its segment files hold.

The manifest (docs/ledger-format.md) is written by the writer and read by reconcile: its
`highwater_sequence`, `record_count`, `revision` and per-segment `record_count`/`size_bytes`
are promises about the frames. An observer reads the manifest's bytes and the segments' bytes
(files, not the writer's memory) and puts both side by side in one trace event; the checker
`manifests_match_records` judges them. Plain bytes in, plain data out: the same function serves
the simulated disk and a real ledger directory.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from operator import itemgetter
from typing import Any

from scenarios.ledger_oracle import valid_frame_index
from scenarios.observers.files import FileView, listdir_or_empty
from scenarios.observers.ledger_files import Walked, is_segment, partition_names, segment_index
from scenarios.observers.manifest_json import manifest_document

MANIFEST_NAME = "_manifest.json"
LATE_SUFFIX = "-late"  # a late partition's name ends so (docs/ledger-format.md)

SEGMENTS_PER_MANIFEST_MAX = 100_000
# Segments whose facts the observer remembers (by version and size); bounded, a memo.
INDEXED_SEGMENTS_MAX = 100_000

# `files_in`'s answer for a name that is no file (a directory, or gone): no version, no size
_NOT_A_FILE = (None, None)

FrameIndex = Callable[[str, bytes], tuple[list[tuple[str, int]], int]]


def _index_of(name: str, data: bytes) -> tuple[list[tuple[str, int]], int]:
    return valid_frame_index(data)


# One segment's facts: (records, highest sequence or None when it has no record, size in bytes,
# whether every byte is a valid frame).
SegmentFacts = tuple[int, "int | None", int, bool]


def segment_facts(index: tuple[list[tuple[str, int]], int], size_bytes: int) -> SegmentFacts:
    """The facts of one segment from its frame index (`valid_frame_index` of its bytes)."""
    frames, valid_bytes = index
    return len(frames), max(map(itemgetter(1), frames), default=None), size_bytes, valid_bytes == size_bytes  # (signal_id, sequence) pairs


def manifest_facts(partition: str, manifest_bytes: bytes, segments: Mapping[str, bytes],
                   frame_index: FrameIndex = _index_of) -> dict[str, Any] | None:
    """Claims and facts of one partition, or None when its manifest does not parse (that is
    corruption, judged by reconcile and `no_silent_loss`, not a claim to hold against frames).
    `frame_index(name, data)` is `valid_frame_index(data)`, or a memo of it."""
    return facts_of_segments(partition, manifest_bytes, {
        name: segment_facts(frame_index(name, segments[name]), len(segments[name])) for name in sorted(segments)})


def facts_of_segments(partition: str, manifest_bytes: bytes,
                      segments: Mapping[str, SegmentFacts]) -> dict[str, Any] | None:
    """`manifest_facts` from each segment's facts (in name order) rather than its bytes."""
    try:
        claims = manifest_document(manifest_bytes)
        entries = [(str(e["name"]), int(e["record_count"]), int(e["size_bytes"]), bool(e["sealed"]))
                   for e in claims["segments"][:SEGMENTS_PER_MANIFEST_MAX]]
        highwater, record_count = int(claims["highwater_sequence"]), int(claims["record_count"])
        revision, sealed = int(claims["revision"]), bool(claims["sealed"])
    except (ValueError, KeyError, TypeError):
        return None
    event: dict[str, Any] = {
        "partition": partition,
        "sealed": sealed,
        "revision": revision,
        "claimed_highwater": highwater,
        "claimed_records": record_count,
        "highwater": max((facts[1] for facts in segments.values() if facts[1] is not None), default=0),
        "records": sum(facts[0] for facts in segments.values()),
    }
    if not sealed and not partition.endswith(LATE_SUFFIX):
        # WHY no segment lists for an open day: its manifest changes at every rollover, and two
        # lists of every segment in each event made the trace grow as the square of the day's
        # segments (1,563 events of up to 1,563 entries twice at 100,000 signals). The checker
        # holds an open day's manifest to one thing, a revision that never goes back, and only
        # while every segment file is valid frames end to end: `clean` says that.
        event["clean"] = all(facts[3] for facts in segments.values())
        return event
    # the JSON-free frame index: a late partition's manifest changes with every record, so this runs
    # at every reconcile pass that follows a write; the facts are the CRC-valid prefix of each segment
    event["claimed_segments"] = [list(entry) for entry in entries]
    # [name, records, size_bytes, clean] per segment file, in name order
    event["segments"] = [[name, records, size_bytes, clean]
                         for name, (records, _, size_bytes, clean) in sorted(segments.items())]
    return event


class ManifestObserver:
    """Records a `ledger.manifest` event for each manifest whose bytes changed since the last look."""

    def __init__(self, files: FileView, root: str, record: Callable[..., int],
                 walked: Callable[[str, str], Walked | None] | None = None) -> None:
        """`walked(partition, name)`: frames another walk found at the start of a segment's bytes
        (the world's durable index), so that this observer walks only what follows them."""
        self._files = files
        self._root = root
        self._record = record
        self._walked = walked
        self._seen: dict[str, bytes] = {}
        # (partition, segment) -> (version, size, facts) when the view knows versions (see
        # FileView.version): same version and size mean the same bytes, so the segment is not even
        # read again. Reading every sealed segment at each manifest change still grew with the day.
        self._facts: dict[tuple[str, str], tuple[object, int, SegmentFacts]] = {}

    def observe(self, partitions: list[str] | None = None) -> None:
        names = partitions if partitions is not None else partition_names(self._files, self._root)
        for partition in names:
            data = self._files.read_bytes(f"{self._root}/{partition}/{MANIFEST_NAME}")
            if not data or self._seen.get(partition) == data:
                continue
            self._seen[partition] = data
            facts = facts_of_segments(partition, data, self._segment_facts(partition))
            if facts is not None:
                self._record("omen", "ledger.manifest", **facts)

    def _segment_facts(self, partition: str) -> dict[str, SegmentFacts]:
        files = self._files
        directory = f"{self._root}/{partition}"
        out: dict[str, SegmentFacts] = {}
        # the view's look at every file of the directory at once, when it has one (the simulated
        # disk's): the same versions and sizes as asking each path, without walking each path twice
        files_in = getattr(files, "files_in", None)
        looked = None if files_in is None else files_in(directory)
        for name in listdir_or_empty(files, directory):
            if not is_segment(name):
                continue
            found = None if looked is None else looked.get(name, _NOT_A_FILE)
            path = f"{directory}/{name}" if found is None else None  # made only when asked by path
            version = files.version(path) if found is None else found[0]
            known = self._facts.get((partition, name))
            if version is not None and known is not None and known[0] == version and known[1] == (
                    files.size_bytes(path) if found is None else found[1]):
                out[name] = known[2]
                continue
            segment_bytes = files.read_bytes(path or f"{directory}/{name}") or b""
            facts = out[name] = segment_facts(self._frame_index(partition, name, segment_bytes), len(segment_bytes))
            if version is not None:
                if len(self._facts) >= INDEXED_SEGMENTS_MAX:
                    self._facts.clear()  # a memo: dropping it costs speed, never an answer
                self._facts[(partition, name)] = (version, len(segment_bytes), facts)
        return out

    def _frame_index(self, partition: str, name: str, data: bytes) -> tuple[list[tuple[str, int]], int]:
        # the memo `partition_records` reads through (bytes compared whole, so rot is seen): the liveness
        # phase and this observer index the same segments, and one walk of new bytes serves both
        walked = None if self._walked is None else self._walked(partition, name)
        return segment_index(f"{self._root}/{partition}/{name}", data, walked)


__all__ = ["ManifestObserver", "facts_of_segments", "manifest_facts", "segment_facts"]
