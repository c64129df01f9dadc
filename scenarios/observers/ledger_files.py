"""The ledger's layout as an observer reads it: partitions, segments, valid frames (docs/ledger-format.md).

Everything here reads a `FileView` and parses bytes with the independent oracle, never through
the system's reader: a planted bug may live in the reader.
"""
from __future__ import annotations

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
# serve every view and every run.
_FRAME_INDEXES = BytesMemo(bytes_max=16 * 1024 * 1024)


def _records_of(data: bytes) -> list[tuple[str, int]]:
    return valid_frame_index(data)[0]


def partition_records(files: FileView, root: str, partition: str) -> list[tuple[str, int]]:
    """(signal_id, sequence) of the partition's CRC-valid records, in read order."""
    directory = f"{root}/{partition}"
    return [record for name, data in segments(files, root, partition).items()
            for record in _FRAME_INDEXES.get(f"{directory}/{name}", data, _records_of)]


def ledger_signal_ids(files: FileView, root: str) -> set[str]:
    """Every signal id with a CRC-valid record anywhere in the ledger."""
    return {
        signal_id
        for partition in partition_names(files, root)
        for signal_id, _ in partition_records(files, root, partition)
    }
