"""BytesMemo: what a pure function of a segment's bytes gave, kept while the bytes stay the same.

WHY one class: the ledger keeps several such memos (the reader's verified segments, salvage's
replayable steps, the writer's recovery scans and parsed manifests). Each answers "these exact
bytes, read under these exact rules, gave this before", and each must stay bounded by the bytes it
holds (the equality test needs the bytes themselves). A hit needs the same key, equal inputs (the rules the
computation depended on) and byte-for-byte equal data: rot, a rewrite of the same size or a grown
tail is a miss, so the caller computes afresh and damage is seen at the same read as without it.

Eviction, in a defined order: an entry is replaced whole by a newer one under its key; data larger
than the whole budget is never kept; and when a new entry would overflow the budget, every entry
is dropped at once, then the new one is kept. Dropping costs speed, never an answer. Every read and
change is a single dict operation, so threads that share a memo (the served app's reader) never
see half an entry; two of them racing can only skew the byte count, which times a clear.
"""
from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

V = TypeVar("V")


class BytesMemo(Generic[V]):
    """key -> (inputs, data, value), bounded by the total length of the data held."""

    def __init__(self, bytes_max: int) -> None:
        assert isinstance(bytes_max, int) and bytes_max >= 0, bytes_max
        self.bytes_max = bytes_max
        self._known: dict[Hashable, tuple[object, bytes, V]] = {}
        self._bytes = 0
        # key -> (inputs, data, value) as held, or None: for a caller that makes `get`'s two
        # comparisons itself, inline (the reader, at each unchanged segment of every pass), and takes
        # the value only when both hold. The dict's own `get` (no frame): the dict is never replaced.
        self.probe: Callable[[Hashable], tuple[object, bytes, V] | None] = self._known.get

    @property
    def held_bytes(self) -> int:
        return self._bytes

    def __len__(self) -> int:
        return len(self._known)

    def get(self, key: Hashable, inputs: object, data: bytes) -> V | None:
        """The value remembered for `key` if it was computed from equal `inputs` and equal `data`."""
        known = self._known.get(key)
        if known is not None and known[0] == inputs and known[1] == data:
            return known[2]
        return None

    def latest(self, key: Hashable) -> V | None:
        """What `key` holds, whatever its inputs and data: never an answer for other bytes, only
        a place to find parts that a caller checks again itself (salvage: payloads, byte for byte)."""
        known = self._known.get(key)
        return None if known is None else known[2]

    def forget(self, key: Hashable) -> None:
        """Drop what `key` holds, if anything: its bytes are no longer the ones last read."""
        dropped = self._known.pop(key, None)
        if dropped is not None:
            self._bytes -= len(dropped[1])

    def put(self, key: Hashable, inputs: object, data: bytes, value: V) -> None:
        """Remember `value` for `key` (computed from `inputs` and `data`), replacing what `key` held."""
        assert value is not None, "None means a miss: it cannot be remembered"
        self.forget(key)
        size_bytes = len(data)
        if size_bytes > self.bytes_max:
            return
        if self._bytes + size_bytes > self.bytes_max:
            self._known.clear()
            self._bytes = 0
        self._known[key] = (inputs, data, value)
        self._bytes += size_bytes


__all__ = ["BytesMemo"]
