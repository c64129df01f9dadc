"""The ledger's layout as an observer reads it: partitions, segments, valid frames (docs/ledger-format.md).

Everything here reads a `FileView` and parses bytes with the independent oracle, never through
the system's reader: a planted bug may live in the reader.
"""
from __future__ import annotations

import weakref

from scenarios.ledger_oracle import BytesMemo, valid_frame_index
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


# WHY: the liveness phase asks "is every ledger record stored?" after each pass, and the reconcile
# and crash observers ask for partitions' records, each time indexing every frame of every segment,
# though only the active one changes. The index is a function of the bytes alone, so one memo may
# serve every view and every run. For views that know versions, `_SegmentRecords` below.
_FRAME_INDEXES = BytesMemo(bytes_max=16 * 1024 * 1024)
# Segments whose records a view's `_SegmentRecords` remembers; past it the memo starts again empty.
VERSIONED_SEGMENTS_MAX = 100_000
# The segment bytes a view's memo keeps, all together, to tell an unchanged prefix when a version
# moved (a crash installs a new state: every version changes, nearly no byte does). Past it entries
# keep none and are walked again from the start when their version moves: time, never an answer.
KEPT_BYTES_MAX = 256 * 1024 * 1024


def _records_of(data: bytes) -> list[tuple[str, int]]:
    return valid_frame_index(data)[0]


class _SegmentRecords:
    """One view's segments' records by path, kept by (version, size) and grown from the tail.

    WHY: under `_FRAME_INDEXES` each look read every segment and compared its bytes whole with those
    indexed, and past 16 MiB of ledger (about 30,000 signals) the memo was dropped whole at every
    look and every frame indexed again. `FileView.version` changes whenever a file's bytes change
    other than by growing at the end: the same version and size are the same bytes (nothing is
    read), and the same version with more bytes is the same bytes followed by new ones. When the
    version moved, the bytes kept are compared whole with the file's prefix instead. With the
    prefix unchanged, the walk from the start would reach the offset where the last walk stopped
    with the same frames (each frame is judged by its own bytes, all inside the prefix) and go on
    from there: so only the bytes from that offset are walked.
    """

    __slots__ = ("_known", "_kept_bytes")

    def __init__(self) -> None:
        # path -> (version, size, bytes the valid frames cover, their (signal_id, sequence), the
        # bytes walked or None when not kept)
        self._known: dict[str, tuple[object, int, int, list[tuple[str, int]], bytes | None]] = {}
        self._kept_bytes = 0

    def records(self, files: FileView, path: str, version: object) -> list[tuple[str, int]]:
        """The records of the file at `path`, whose version is `version` (not None); callers must
        not mutate the list."""
        known = self._known.get(path)
        if known is not None and known[0] == version and known[1] == files.size_bytes(path):
            return known[3]
        data = files.read_bytes(path) or b""
        size = len(data)
        if known is not None and known[1] <= size and (
                known[0] == version or (known[4] is not None and data.startswith(known[4]))):
            valid_bytes, records = known[2], known[3]  # the bytes walked are still the file's prefix
            if size > known[1]:
                frames, covered = valid_frame_index(data[valid_bytes:])
                valid_bytes += covered
                records = records + frames if frames else records
        else:
            records, valid_bytes = valid_frame_index(data)
        self._remember(path, version, valid_bytes, records, data)
        return records

    def _remember(self, path: str, version: object, valid_bytes: int, records: list[tuple[str, int]],
                  data: bytes) -> None:
        assert valid_bytes <= len(data), (path, valid_bytes, len(data))
        known = self._known
        old = known.get(path)
        if old is None and len(known) >= VERSIONED_SEGMENTS_MAX:
            known.clear()  # a memo: dropping it costs speed, never an answer
            self._kept_bytes = 0
        elif old is not None and old[4] is not None:
            self._kept_bytes -= len(old[4])
        kept = data if self._kept_bytes + len(data) <= KEPT_BYTES_MAX else None
        self._kept_bytes += 0 if kept is None else len(kept)
        assert 0 <= self._kept_bytes <= KEPT_BYTES_MAX, self._kept_bytes
        known[path] = (version, len(data), valid_bytes, records, kept)


# a view's memo lives and dies with the view (a version means nothing on another disk)
_SEGMENT_RECORDS: "weakref.WeakKeyDictionary[FileView, _SegmentRecords]" = weakref.WeakKeyDictionary()


def partition_records(files: FileView, root: str, partition: str) -> list[tuple[str, int]]:
    """(signal_id, sequence) of the partition's CRC-valid records, in read order."""
    directory = f"{root}/{partition}"
    names = [name for name in listdir_or_empty(files, directory) if is_segment(name)]
    versions = [files.version(f"{directory}/{name}") for name in names]
    if names and None not in versions:
        memo = _SEGMENT_RECORDS.get(files)
        if memo is None:
            memo = _SEGMENT_RECORDS[files] = _SegmentRecords()
        return [record for name, version in zip(names, versions)
                for record in memo.records(files, f"{directory}/{name}", version)]
    return [record for name, data in segments(files, root, partition).items()
            for record in _FRAME_INDEXES.get(f"{directory}/{name}", data, _records_of)]


def ledger_signal_ids(files: FileView, root: str) -> set[str]:
    """Every signal id with a CRC-valid record anywhere in the ledger."""
    return {
        signal_id
        for partition in partition_names(files, root)
        for signal_id, _ in partition_records(files, root, partition)
    }
