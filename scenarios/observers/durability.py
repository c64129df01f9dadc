"""Which signals are durable on the disk right now (observer: reads a durable `FileView`).

Ledger-first is a statement about the moment of a push: the record must already be on
the durable side of the disk (data fsynced and every directory entry on its path
fsynced). The world asks this index at every request the network sends, so it is
incremental: per segment it keeps the offset up to which durable frames were parsed and
parses only bytes that became durable since. When a segment's durable bytes changed other
than by growing (a rollback truncated it and a later record of the same length took its
place, rot, another inode under the name: the file's `version` moved), or its size shrank,
its entry is parsed again from the start.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from scenarios.ledger_oracle import valid_frame_signal_ids
from scenarios.observers.files import FileView
from scenarios.observers.ledger_files import is_segment


@dataclass
class _SegmentIndex:
    parsed_bytes: int = 0
    durable_size: int = 0
    version: object = None
    ids: set[str] = field(default_factory=set)


class DurableLedgerIndex:
    """`durable` lists a directory and reads what survives a power loss (`SimDiskView(disk, durable=True)`)."""

    def __init__(self, durable: FileView, root: str) -> None:
        self._files = durable
        self._root = root.rstrip("/")
        self._segments: dict[str, _SegmentIndex] = {}

    def _segment_ids(self, path: str) -> set[str]:
        size = self._files.size_bytes(path)
        if size is None:
            self._segments.pop(path, None)
            return set()
        version = self._files.version(path)
        entry = self._segments.get(path)
        if entry is None or size < entry.durable_size or version != entry.version:
            entry = self._segments[path] = _SegmentIndex(version=version)
        if size == entry.durable_size:
            return entry.ids
        data = self._files.read_bytes(path, entry.parsed_bytes)  # only the bytes not parsed yet
        assert data is not None and len(data) == size - entry.parsed_bytes, path
        ids, valid_bytes = valid_frame_signal_ids(data)
        entry.ids.update(ids)
        entry.parsed_bytes += valid_bytes
        entry.durable_size = size
        return entry.ids

    def contains(self, partition: str, signal_id: str) -> bool:
        directory = f"{self._root}/{partition}"
        try:
            names = self._files.listdir(directory)
        except OSError:
            return False
        for name in reversed(names):  # the newest segment is the likeliest home
            if is_segment(name) and signal_id in self._segment_ids(
                    f"{directory}/{name}"):
                return True
        return False

    def forget(self) -> None:
        """After a crash the durable state was redrawn: start over."""
        self._segments.clear()
