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

# Names are matched whole (fullmatch): a pattern ending in `$` also matches before a final newline,
# and "2026-03-01\n" must never become a partition directory. ASCII digits only (`\d` is Unicode).
_SEGMENT_RE = re.compile(r"segment-([0-9]{6})\.log")
_PARTITION_RE = re.compile(r"([0-9]{4}-[0-9]{2}-[0-9]{2})(" + re.escape(LATE_SUFFIX) + r")?")


def segment_name(index: int) -> str:
    assert 1 <= index <= SEGMENT_INDEX_MAX, f"segment index {index} outside 1..{SEGMENT_INDEX_MAX}"
    return f"segment-{index:06d}.log"


# name -> its segment index, -1 for a name that is not a segment: every recovery and every read of a
# partition matches names of its listing, the same few hundred names over and over. Cleared when
# full: a pure function's memo, so dropping it changes nothing but speed.
SEGMENT_INDEX_MEMO_MAX = 4096
_segment_indexes: dict[str, int] = {}


def segment_index(name: str) -> int | None:
    """The index of a segment file name, or None when the name is not a segment. Memoized for a
    plain str (a str subclass is matched afresh: it could hash or compare otherwise)."""
    if type(name) is str:
        found = _segment_indexes.get(name)
        if found is None:
            match = _SEGMENT_RE.fullmatch(name)
            found = int(match.group(1)) if match else -1
            if len(_segment_indexes) >= SEGMENT_INDEX_MEMO_MAX:
                _segment_indexes.clear()
            _segment_indexes[name] = found
        return found if found >= 0 else None
    match = _SEGMENT_RE.fullmatch(name) if isinstance(name, str) else None
    return int(match.group(1)) if match else None


def segment_names(entries: list[str]) -> list[str]:
    """The segment files among directory entries, in write order."""
    known = _segment_indexes
    names = []
    for name in entries:
        if isinstance(name, str):
            found = known.get(name) if type(name) is str else None  # a memo hit without the frame
            if found is None:
                found = segment_index(name)
                if found is None:
                    continue
            if found >= 0:
                names.append(name)
    names.sort()
    return names


# name -> whether it is a partition name: every path into a partition is built through an assertion
# of it (`partition_dir`), and a reader lists and joins the same few names at every read. Cleared when
# full: a pure function's memo (of a str's regex match and a date's validity), dropped at no cost but
# speed.
PARTITION_NAME_MEMO_MAX = 4096
_partition_names: dict[str, bool] = {}


def is_partition_name(name: object) -> bool:
    """True when `name` is a partition name, matched whole: the one validator for names from outside
    (HTTP paths, command lines, directory listings) before they become a path in the ledger."""
    if type(name) is str:
        found = _partition_names.get(name)
        if found is None:
            found = _matches_partition(name)
            if len(_partition_names) >= PARTITION_NAME_MEMO_MAX:
                _partition_names.clear()
            _partition_names[name] = found
        return found
    if not isinstance(name, str):
        return False
    return _matches_partition(name)


def _matches_partition(name: str) -> bool:
    match = _PARTITION_RE.fullmatch(name)
    if not match:
        return False
    try:
        date.fromisoformat(match.group(1))
    except ValueError:
        return False
    return True


def require_partition_name(name: object) -> str:
    """`name` when it is a partition name; ValueError saying what one looks like otherwise."""
    if not is_partition_name(name):
        raise ValueError(
            f"{name!r} is not a ledger partition: expected 'YYYY-MM-DD' or 'YYYY-MM-DD{LATE_SUFFIX}'"
        )
    assert isinstance(name, str)
    return name


# (directory, name) -> `os.path.join(directory, name)`: a ledger's writer and reader join the same
# few hundred pairs over and over (every directory fsync's partition, every `_CURRENT` and manifest
# replace, every segment read: about 24 joins per crash state of an exhaustive check). Cleared when
# full: a pure function's memo, so dropping it changes nothing but speed.
JOINED_PATHS_MAX = 4096
_joined_paths: dict[tuple[str, str], str] = {}


def joined(directory: str, name: str) -> str:
    """`os.path.join(directory, name)`, the same string, memoized for plain str arguments (a str
    subclass could hash or compare otherwise, and a PathLike is joined afresh each time)."""
    if type(directory) is str and type(name) is str:
        key = (directory, name)
        found = _joined_paths.get(key)
        if found is None:
            found = os.path.join(directory, name)
            if len(_joined_paths) >= JOINED_PATHS_MAX:
                _joined_paths.clear()
            _joined_paths[key] = found
        return found
    return os.path.join(directory, name)


def partition_dir(root: str, partition: str) -> str:
    assert is_partition_name(partition), f"{partition!r} must be validated before it becomes a path"
    return os.path.join(root, partition)


__all__ = [
    "CURRENT_NAME",
    "FILE_MODE_NEW",
    "MANIFEST_NAME",
    "SEGMENT_INDEX_MAX",
    "SEGMENT_MODE_SEALED",
    "TEMP_SUFFIX",
    "is_partition_name",
    "joined",
    "partition_dir",
    "require_partition_name",
    "segment_index",
    "segment_name",
    "segment_names",
]
