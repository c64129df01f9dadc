"""File and directory names of the ledger: one place, so writer, reader and docs agree.

    {root}/{YYYY-MM-DD}/            main partition (UTC date of emitted_at)
    {root}/{YYYY-MM-DD}-late/       records for a date whose main partition was already sealed
    {partition}/segment-000001.log  segments; names sort in write order
    {partition}/_CURRENT            name of the active segment (a hint, repaired on open)
    {partition}/_manifest.json      segments, counts, highwater, revision, sealed flag
    {partition}/*.tmp               temp files of an atomic replace; removed on open
"""
from __future__ import annotations

import os
import re
from datetime import date

from omen.schema import LATE_SUFFIX

CURRENT_NAME = "_CURRENT"
MANIFEST_NAME = "_manifest.json"
TEMP_SUFFIX = ".tmp"
SEGMENT_INDEX_MAX = 999_999
SEGMENT_MODE_SEALED = 0o444
FILE_MODE_NEW = 0o644

_SEGMENT_RE = re.compile(r"^segment-(\d{6})\.log$")
_PARTITION_RE = re.compile(r"^(\d{4}-\d{2}-\d{2})(" + re.escape(LATE_SUFFIX) + r")?$")


def segment_name(index: int) -> str:
    assert 1 <= index <= SEGMENT_INDEX_MAX, f"segment index {index} outside 1..{SEGMENT_INDEX_MAX}"
    return f"segment-{index:06d}.log"


def segment_index(name: str) -> int | None:
    """The index of a segment file name, or None when the name is not a segment."""
    match = _SEGMENT_RE.match(name)
    return int(match.group(1)) if match else None


def segment_names(entries: list[str]) -> list[str]:
    """The segment files among directory entries, in write order."""
    return sorted(name for name in entries if _SEGMENT_RE.match(name))


def is_partition_name(name: str) -> bool:
    match = _PARTITION_RE.match(name)
    if not match:
        return False
    try:
        date.fromisoformat(match.group(1))
    except ValueError:
        return False
    return True


def require_partition_name(name: str) -> str:
    if not is_partition_name(name):
        raise ValueError(
            f"{name!r} is not a ledger partition: expected 'YYYY-MM-DD' or 'YYYY-MM-DD{LATE_SUFFIX}'"
        )
    return name


def partition_dir(root: str, partition: str) -> str:
    return os.path.join(root, partition)


__all__ = [
    "CURRENT_NAME",
    "FILE_MODE_NEW",
    "MANIFEST_NAME",
    "SEGMENT_INDEX_MAX",
    "SEGMENT_MODE_SEALED",
    "TEMP_SUFFIX",
    "is_partition_name",
    "partition_dir",
    "require_partition_name",
    "segment_index",
    "segment_name",
    "segment_names",
]
