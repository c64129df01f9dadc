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


# (bytes, records): a prefix of a segment's bytes in valid frames from offset 0, and their records.
Walked = tuple["bytes | bytearray", list[tuple[str, int]]]

# Segments whose records `_SEGMENT_RECORDS` remembers, and the bytes it keeps for them in all.
SEGMENTS_KEPT_MAX = 100_000
SEGMENT_BYTES_KEPT_MAX = 256 * 1024 * 1024


class _SegmentRecords:
    """Segments' (signal_id, sequence) of their CRC-valid frames by path, kept with the bytes walked.

    WHY: the liveness phase asks "is every ledger record stored?" after each pass, and the reconcile
    and crash observers ask for partitions' records, each time indexing every frame of every
    segment, though only the active one changes. The answer is a function of the bytes alone, so
    one memo serves every view and every run. A file's bytes equal to those kept (compared whole;
    the simulated disk hands out the same bytes object while a file is unchanged) give the same
    records. Bytes that begin with those kept (a segment grown at the end) give the records kept
    and then those of a walk from where the last walk stopped: the walk from the start would have
    reached that offset with the same frames (each frame is judged by its own bytes, all inside
    the unchanged prefix) and gone on from there. So a look walks only what was appended.
    Under a 16 MiB memo of whole indexes this was dropped at every look past about 30,000 signals
    and every frame indexed again. Bounded: past `SEGMENT_BYTES_KEPT_MAX` a segment is not kept
    (it is walked whole at each look, as before the memo), past `SEGMENTS_KEPT_MAX` the memo starts
    again empty; either costs time, never an answer.
    """

    __slots__ = ("_known", "_kept_bytes")

    def __init__(self) -> None:
        self._known: dict[str, tuple[bytes, int, list[tuple[str, int]]]] = {}  # path -> (bytes, valid bytes, records)
        self._kept_bytes = 0

    def records(self, path: str, data: bytes) -> list[tuple[str, int]]:
        """The records of `data`, the bytes of the segment at `path`; callers must not mutate the list."""
        return self.index(path, data)[0]

    def index(self, path: str, data: bytes, walked: Walked | None = None) -> tuple[list[tuple[str, int]], int]:
        """`valid_frame_index(data)`, `data` the bytes of the segment at `path`; callers must not mutate the list.

        WHY here too: the manifest observer indexes the same segments' bytes as they grow, and its
        own memo walked them again; the valid bytes are kept beside the records, so one walk serves both.

        `walked`: (bytes, records) another walk found, every byte of them in valid frames from
        offset 0 (the durable index's `parsed_frames`: it walks each frame at the push that follows
        its write, before any look of this memo). When `data` begins with those bytes and they
        reach further than what this memo kept, the walk starts after them, for the same reason a
        grown segment's does: the frames inside them are judged by their own bytes alone.
        """
        known = self._known.get(path)
        start_bytes, records = 0, []  # the walk of `data` starts there, after these records
        if known is not None:
            kept, valid_bytes, kept_records = known
            if kept == data:
                return kept_records, valid_bytes
            if len(kept) < len(data) and data.startswith(kept):
                start_bytes, records = valid_bytes, kept_records
        if walked is not None and len(walked[0]) > start_bytes and data.startswith(walked[0]):
            start_bytes, records = len(walked[0]), list(walked[1])  # a copy: the walker's grows in place
        if start_bytes:
            frames, covered = valid_frame_index(data[start_bytes:])
            valid_bytes = start_bytes + covered
            if frames:
                records = records + frames
        else:
            records, valid_bytes = valid_frame_index(data)
        self._keep(path, data, valid_bytes, records)
        return records, valid_bytes

    def _keep(self, path: str, data: bytes, valid_bytes: int, records: list[tuple[str, int]]) -> None:
        assert valid_bytes <= len(data), (path, valid_bytes, len(data))
        known = self._known
        old = known.pop(path, None)
        if old is not None:
            self._kept_bytes -= len(old[0])
        elif len(known) >= SEGMENTS_KEPT_MAX:
            known.clear()
            self._kept_bytes = 0
        if self._kept_bytes + len(data) <= SEGMENT_BYTES_KEPT_MAX:
            known[path] = (bytes(data) if type(data) is not bytes else data, valid_bytes, records)
            self._kept_bytes += len(data)
        assert 0 <= self._kept_bytes <= SEGMENT_BYTES_KEPT_MAX, self._kept_bytes


_SEGMENT_RECORDS = _SegmentRecords()


def partition_records(files: FileView, root: str, partition: str) -> list[tuple[str, int]]:
    """(signal_id, sequence) of the partition's CRC-valid records, in read order."""
    directory = f"{root}/{partition}"
    return [record for name, data in segments(files, root, partition).items()
            for record in _SEGMENT_RECORDS.records(f"{directory}/{name}", data)]


def ledger_signal_ids(files: FileView, root: str) -> set[str]:
    """Every signal id with a CRC-valid record anywhere in the ledger."""
    return {
        signal_id
        for partition in partition_names(files, root)
        for signal_id, _ in partition_records(files, root, partition)
    }


def segment_index(path: str, data: bytes, walked: Walked | None = None) -> tuple[list[tuple[str, int]], int]:
    """`valid_frame_index(data)` of the segment bytes `data` read at `path`, through the shared memo
    (and `walked`, frames another walk found at the start of these bytes: see `_SegmentRecords.index`)."""
    return _SEGMENT_RECORDS.index(path, data, walked)
