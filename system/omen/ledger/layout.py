"""File and directory names of the ledger: one place, so writer, reader and docs agree.

    {root}/{YYYY-MM-DD}/            main partition (UTC date of emitted_at)
    {root}/{YYYY-MM-DD}-late/       records for a date whose main partition was already sealed
    {partition}/segment-000001.log  segments; names sort in write order
    {partition}/_CURRENT            name of the active segment (a hint, repaired on open)
    {partition}/_manifest.json      segments, counts, highwater, revision, sealed flag
    {partition}/*.tmp               temp files of an atomic replace; removed on open
"""
from __future__ import annotations

import functools
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


# The three memos below (a segment name's index, a partition name's check, a path join) are of pure
# functions of plain strings: every recovery and every read of a partition matches the names of its
# listing and joins the same few hundred paths over and over (about 24 joins per crash state of an
# exhaustive check). Bounded LRU caches: dropping an entry changes nothing but speed. Only a plain
# str is cached: a str subclass could hash or compare otherwise, so it is computed afresh.
SEGMENT_INDEX_MEMO_MAX = 4096
PARTITION_NAME_MEMO_MAX = 4096
JOINED_PATHS_MAX = 4096


def _segment_index_of(name: str) -> int | None:
    match = _SEGMENT_RE.fullmatch(name)
    return int(match.group(1)) if match else None


_segment_index_memo = functools.lru_cache(maxsize=SEGMENT_INDEX_MEMO_MAX)(_segment_index_of)


def segment_index(name: str) -> int | None:
    """The index of a segment file name, or None when the name is not a segment."""
    if type(name) is str:
        return _segment_index_memo(name)
    return _segment_index_of(name) if isinstance(name, str) else None


def segment_names(entries: list[str]) -> list[str]:
    """The segment files among directory entries, in write order."""
    memo = _segment_index_memo
    names = [name for name in entries
             if (memo(name) if type(name) is str else segment_index(name)) is not None]  # a memo hit: no frame
    names.sort()
    return names


def is_partition_name(name: object) -> bool:
    """True when `name` is a partition name, matched whole: the one validator for names from outside
    (HTTP paths, command lines, directory listings) before they become a path in the ledger."""
    if type(name) is str:
        return _partition_name_memo(name)
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


_partition_name_memo = functools.lru_cache(maxsize=PARTITION_NAME_MEMO_MAX)(_matches_partition)


def require_partition_name(name: object) -> str:
    """`name` when it is a partition name; ValueError saying what one looks like otherwise."""
    if not is_partition_name(name):
        raise ValueError(
            f"{name!r} is not a ledger partition: expected 'YYYY-MM-DD' or 'YYYY-MM-DD{LATE_SUFFIX}'"
        )
    assert isinstance(name, str)
    return name


_joined_memo = functools.lru_cache(maxsize=JOINED_PATHS_MAX)(os.path.join)
# `joined` for a caller that knows both arguments are plain str (the reader's segment loop): the
# memo itself, no frame before it
joined_strs = _joined_memo


def joined(directory: str, name: str) -> str:
    """`os.path.join(directory, name)`, the same string, memoized for plain str arguments (a PathLike
    is joined afresh each time)."""
    if type(directory) is str and type(name) is str:
        return _joined_memo(directory, name)
    return os.path.join(directory, name)


def partition_dir(root: str, partition: str) -> str:
    assert is_partition_name(partition), f"{partition!r} must be validated before it becomes a path"
    return joined(root, partition)  # `os.path.join`, the same string (the reader asks at every pass)


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
    "joined_strs",
    "segment_names",
]
