"""The ledger as the harness sees it: bytes of real files, parsed by the independent frame parser.

Nothing here goes through the system's reader or writer (a planted bug may live there). Reads see
the page cache, which a SIGKILL keeps: "visible" is what a restarted process will find.
"""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from scenarios.ledger_oracle import valid_frame_index

LATE_SUFFIX = "-late"
PARTITIONS_MAX = 10_000
SEGMENTS_PER_PARTITION_MAX = 100_000


def _listdir(path: Path) -> list[str]:
    try:
        names = sorted(os.listdir(path))
    except OSError:
        return []
    assert len(names) <= SEGMENTS_PER_PARTITION_MAX, f"{path} holds {len(names)} entries"
    return names


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError:
        return b""


def partitions(root: Path) -> list[str]:
    return [name for name in _listdir(root)[:PARTITIONS_MAX] if (root / name).is_dir()]


def segment_names(root: Path, partition: str) -> list[str]:
    return [name for name in _listdir(root / partition) if name.startswith("segment-") and name.endswith(".log")]


def read_files(root: Path) -> dict[str, bytes]:
    """posix path -> bytes of every file of every partition directory (what `parse_ledger` takes)."""
    files: dict[str, bytes] = {}
    for partition in partitions(root):
        for name in _listdir(root / partition):
            path = root / partition / name
            if path.is_file():
                files[path.as_posix()] = _read(path)
    return files


def visible_records(root: Path, partition: str) -> list[tuple[str, int]]:
    """(signal_id, sequence) of the partition's CRC-valid frames, in segment order."""
    found: list[tuple[str, int]] = []
    for name in segment_names(root, partition):
        found.extend(valid_frame_index(_read(root / partition / name))[0])
    return found


def visible_ids(root: Path) -> set[str]:
    return {signal_id for partition in partitions(root) for signal_id, _ in visible_records(root, partition)}


def manifest_says_sealed(root: Path, partition: str) -> bool:
    data = _read(root / partition / "_manifest.json")
    try:
        return bool(data) and json.loads(data).get("sealed") is True
    except ValueError:
        return False


def segment_hashes(root: Path, partition: str) -> dict[str, str]:
    return {name: hashlib.sha256(_read(root / partition / name)).hexdigest()
            for name in segment_names(root, partition)}


class LedgerTail:
    """'Is this signal's record in the ledger files right now?', asked at every request.

    Reads each segment incrementally from where its valid prefix ended, so a question costs the new
    bytes only. A segment that shrank (recovery truncated a torn tail) is re-read from the start.
    """

    def __init__(self, root: Path) -> None:
        self._root = root
        self._offsets: dict[tuple[str, str], int] = {}
        self._ids: dict[str, set[str]] = {}

    def contains(self, partition: str, signal_id: str) -> bool:
        if signal_id in self._ids.get(partition, ()):
            return True
        if "/" in partition or partition.startswith("."):
            return False
        for name in segment_names(self._root, partition):
            self._catch_up(partition, name)
        return signal_id in self._ids.get(partition, ())

    def _catch_up(self, partition: str, name: str) -> None:
        path = self._root / partition / name
        key = (partition, name)
        offset = self._offsets.get(key, 0)
        try:
            with path.open("rb") as handle:
                size = os.fstat(handle.fileno()).st_size
                if size < offset:
                    offset = 0
                handle.seek(offset)
                data = handle.read()
        except OSError:
            return
        found, valid_bytes = valid_frame_index(data)
        self._ids.setdefault(partition, set()).update(signal_id for signal_id, _ in found)
        self._offsets[key] = offset + valid_bytes
