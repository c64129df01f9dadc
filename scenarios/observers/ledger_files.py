"""The ledger's layout as an observer reads it: partitions, segments, valid frames (docs/ledger-format.md).

Everything here reads a `FileView` and parses bytes with the independent oracle, never through
the system's reader: a planted bug may live in the reader.
"""
from __future__ import annotations

from scenarios.ledger_oracle import valid_frame_index
from scenarios.observers.files import FileView, listdir_or_empty

SEGMENT_PREFIX = "segment-"
SEGMENT_SUFFIX = ".log"


def is_segment(name: str) -> bool:
    return name.startswith(SEGMENT_PREFIX) and name.endswith(SEGMENT_SUFFIX)


def partition_names(files: FileView, root: str) -> list[str]:
    """The entries of the ledger root, in name order (partition directories and anything beside them)."""
    return listdir_or_empty(files, root)


def segments(files: FileView, root: str, partition: str) -> dict[str, bytes]:
    """Segment name -> its bytes, in name order."""
    directory = f"{root}/{partition}"
    return {
        name: files.read_bytes(f"{directory}/{name}") or b""
        for name in listdir_or_empty(files, directory)
        if is_segment(name)
    }


class FrameIndexMemo:
    """`valid_frame_index` by segment path, reused while the bytes are byte for byte the same.

    WHY: the liveness phase asks "is every ledger record stored?" after each pass, and the reconcile
    and crash observers ask for partitions' records, each time indexing every frame of every
    segment, though only the active one changes. The answer is a function of the bytes alone
    (they are compared whole, never by size), so one memo may serve every view and every run.
    Bounded in bytes held; dropping it costs speed, never an answer.
    """

    def __init__(self, bytes_max: int) -> None:
        assert bytes_max >= 0
        self.bytes_max = bytes_max
        self._known: dict[str, tuple[bytes, list[tuple[str, int]]]] = {}
        self._bytes = 0

    def records(self, path: str, data: bytes) -> list[tuple[str, int]]:
        """(signal_id, sequence) of the CRC-valid prefix of `data` (a list the caller must not change)."""
        known = self._known.get(path)
        if known is not None and known[0] == data:
            return known[1]
        found = valid_frame_index(data)[0]
        if known is not None:
            self._bytes -= len(known[0])
            del self._known[path]
        if len(data) <= self.bytes_max:
            if self._bytes + len(data) > self.bytes_max:
                self._known.clear()
                self._bytes = 0
            self._known[path] = (data, found)
            self._bytes += len(data)
        return found


_FRAME_INDEXES = FrameIndexMemo(bytes_max=16 * 1024 * 1024)


def partition_records(files: FileView, root: str, partition: str) -> list[tuple[str, int]]:
    """(signal_id, sequence) of the partition's CRC-valid records, in read order."""
    directory = f"{root}/{partition}"
    return [record for name, data in segments(files, root, partition).items()
            for record in _FRAME_INDEXES.records(f"{directory}/{name}", data)]


def ledger_signal_ids(files: FileView, root: str) -> set[str]:
    """Every signal id with a CRC-valid record anywhere in the ledger."""
    return {
        signal_id
        for partition in partition_names(files, root)
        for signal_id, _ in partition_records(files, root, partition)
    }
