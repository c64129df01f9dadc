"""What a partition's manifest claims, next to what its segment files hold.

The manifest (docs/ledger-format.md) is written by the writer and read by reconcile: its
`highwater_sequence`, `record_count`, `revision` and per-segment `record_count`/`size_bytes`
are promises about the frames. An observer reads the manifest's bytes and the segments' bytes
(files, not the writer's memory) and puts both side by side in one trace event; the checker
`manifests_match_records` judges them. Plain bytes in, plain data out: the same function serves
the simulated disk and a real ledger directory.
"""
from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from operator import itemgetter
from typing import Any

from scenarios.ledger_oracle import valid_frame_index
from scenarios.observers.files import FileView
from scenarios.observers.ledger_files import partition_names, segments

MANIFEST_NAME = "_manifest.json"

SEGMENTS_PER_MANIFEST_MAX = 100_000
# Segments whose frame index the observer remembers (by their bytes); bounded, a memo.
INDEXED_SEGMENTS_MAX = 100_000

FrameIndex = Callable[[str, bytes], tuple[list[tuple[str, int]], int]]


def _index_of(name: str, data: bytes) -> tuple[list[tuple[str, int]], int]:
    return valid_frame_index(data)


def manifest_facts(partition: str, manifest_bytes: bytes, segments: Mapping[str, bytes],
                   frame_index: FrameIndex = _index_of) -> dict[str, Any] | None:
    """Claims and facts of one partition, or None when its manifest does not parse (that is
    corruption, judged by reconcile and `no_silent_loss`, not a claim to hold against frames).
    `frame_index(name, data)` is `valid_frame_index(data)`, or a memo of it."""
    try:
        claims = json.loads(manifest_bytes)
        entries = [(str(e["name"]), int(e["record_count"]), int(e["size_bytes"]), bool(e["sealed"]))
                   for e in claims["segments"][:SEGMENTS_PER_MANIFEST_MAX]]
        highwater, record_count = int(claims["highwater_sequence"]), int(claims["record_count"])
        revision, sealed = int(claims["revision"]), bool(claims["sealed"])
    except (ValueError, KeyError, TypeError):
        return None
    # the JSON-free frame index: a late partition's manifest changes with every record, so this runs
    # at every reconcile pass that follows a write; the facts are the CRC-valid prefix of each segment
    sequences: list[int] = []
    files: list[list[Any]] = []
    for name in sorted(segments):
        data = segments[name]
        frames, valid_bytes = frame_index(name, data)
        sequences.extend(map(itemgetter(1), frames))  # (signal_id, sequence) pairs
        files.append([name, len(frames), len(data), valid_bytes == len(data)])
    return {
        "partition": partition,
        "sealed": sealed,
        "revision": revision,
        "claimed_highwater": highwater,
        "claimed_records": record_count,
        "claimed_segments": [list(entry) for entry in entries],
        "highwater": max(sequences, default=0),
        "records": len(sequences),
        "segments": files,  # [name, records, size_bytes, clean] per segment file, in name order
    }


class ManifestObserver:
    """Records a `ledger.manifest` event for each manifest whose bytes changed since the last look."""

    def __init__(self, files: FileView, root: str, record: Callable[..., int]) -> None:
        self._files = files
        self._root = root
        self._record = record
        self._seen: dict[str, bytes] = {}
        # (partition, segment) -> (bytes, their valid_frame_index): a manifest changes as its partition
        # grows, and re-indexing every segment at each change was quadratic over a long day; bytes
        # equal to those indexed (compared whole: rot is seen) reuse the index
        self._indexed: dict[tuple[str, str], tuple[bytes, tuple[list[tuple[str, int]], int]]] = {}

    def observe(self, partitions: list[str] | None = None) -> None:
        names = partitions if partitions is not None else partition_names(self._files, self._root)
        for partition in names:
            data = self._files.read_bytes(f"{self._root}/{partition}/{MANIFEST_NAME}")
            if not data or self._seen.get(partition) == data:
                continue
            self._seen[partition] = data
            facts = manifest_facts(partition, data, segments(self._files, self._root, partition),
                                   lambda name, segment_bytes: self._frame_index(partition, name, segment_bytes))
            if facts is not None:
                self._record("omen", "ledger.manifest", **facts)


    def _frame_index(self, partition: str, name: str, data: bytes) -> tuple[list[tuple[str, int]], int]:
        known = self._indexed.get((partition, name))
        if known is not None and known[0] == data:
            return known[1]
        index = valid_frame_index(data)
        if len(self._indexed) >= INDEXED_SEGMENTS_MAX:
            self._indexed.clear()
        self._indexed[(partition, name)] = (data, index)
        return index


__all__ = ["ManifestObserver", "manifest_facts"]
