"""Turn pyfakefs' whole-content rewrites back into the writes and truncates that made them.

pyfakefs stores a file as one bytes object and replaces it on every flush. The persistence
model needs the write (offset, bytes) and truncate (length) ops instead: an append is
recognized by a prefix test (C speed); any other change is the smallest span that differs.
Bytes rewritten with their own value are not an op: a crash cannot tell them apart.
"""
from __future__ import annotations

CHUNK_BYTES = 4096

# ("write", offset, data) or ("truncate", length, b"")
DataChange = tuple[str, int, bytes]


def _common_prefix(a: bytes, b: bytes) -> int:
    limit = min(len(a), len(b))
    start = 0
    while start < limit:
        end = min(start + CHUNK_BYTES, limit)
        if a[start:end] != b[start:end]:
            for index in range(start, end):
                if a[index] != b[index]:
                    return index
        start = end
    return limit


def _common_suffix(a: bytes, b: bytes, floor: int) -> int:
    """Length of the common tail of equal-length `a` and `b`, never reaching below `floor`."""
    assert len(a) == len(b)
    size = len(a)
    count = 0
    while size - count > floor:
        step = min(CHUNK_BYTES, size - count - floor)
        lo, hi = size - count - step, size - count
        if a[lo:hi] != b[lo:hi]:
            for index in range(hi - 1, lo - 1, -1):
                if a[index] != b[index]:
                    return size - index - 1
        count += step
    return count


def content_changes(old: bytes, new: bytes) -> list[DataChange]:
    """The ops that turn `old` into `new`: a truncate first if it shrank, then at most one write."""
    if old == new:
        return []
    if len(new) >= len(old) and new.startswith(old):
        return [("write", len(old), new[len(old):])]
    changes: list[DataChange] = []
    if len(new) < len(old):
        changes.append(("truncate", len(new), b""))
        old = old[:len(new)]
        if old == new:
            return changes
    start = _common_prefix(old, new)
    if len(new) > len(old):
        end = len(new)
    else:
        end = len(new) - _common_suffix(old, new, start)
    assert start < end, (start, end)
    changes.append(("write", start, new[start:end]))
    return changes
