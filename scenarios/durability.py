"""Which signals are durable on the simulated disk right now.

Ledger-first is a statement about the moment of a push: the record must already be on
the durable side of the disk (data fsynced and every directory entry on its path
fsynced). The world asks this index at every request the network sends, so it is
incremental: a segment is re-parsed only when its durable size changed.
"""
from __future__ import annotations

import posixpath

from scenarios.ledger_oracle import parse_segment
from sim.disk import SimDisk


class DurableLedgerIndex:
    def __init__(self, disk: SimDisk, root: str) -> None:
        self._disk = disk
        self._root = root.rstrip("/")
        self._segments: dict[str, tuple[int, frozenset[str]]] = {}

    def _segment_ids(self, path: str) -> frozenset[str]:
        size = self._disk.durable_size(path)
        if size is None:
            return frozenset()
        cached = self._segments.get(path)
        if cached is not None and cached[0] == size:
            return cached[1]
        data = self._disk.durable_bytes(path)
        if data is None:
            return frozenset()
        parsed = parse_segment(posixpath.basename(posixpath.dirname(path)), posixpath.basename(path), data)
        ids = frozenset(record.signal_id for record in parsed.records)
        self._segments[path] = (size, ids)
        return ids

    def contains(self, partition: str, signal_id: str) -> bool:
        directory = f"{self._root}/{partition}"
        try:
            names = self._disk.listdir(directory)
        except OSError:
            return False
        return any(
            signal_id in self._segment_ids(f"{directory}/{name}")
            for name in names
            if name.startswith("segment-") and name.endswith(".log")
        )

    def forget(self) -> None:
        """After a crash the durable state was redrawn: start over."""
        self._segments.clear()
