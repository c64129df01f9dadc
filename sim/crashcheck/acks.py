"""`ack(kind, key)`: the workload says "I promised this", at this point of its history.

Production code may call it: outside a crashcheck recording it does nothing. It is kept apart
from the recorder so that importing it costs nothing (no pyfakefs import).
"""
from __future__ import annotations

from typing import Callable

KIND_BYTES_MAX = 256
KEY_BYTES_MAX = 4096

# The recorder that is listening, or None. Only one recording runs at a time (no threads).
_sink: Callable[[str, str], None] | None = None


def ack(kind: str, key: str) -> None:
    """Record that the code acknowledged `key` (of kind `kind`) to its caller, now."""
    if not isinstance(kind, str) or not isinstance(key, str):
        raise TypeError(f"ack(kind, key) takes two str, got {type(kind).__name__}, {type(key).__name__}")
    if len(kind) > KIND_BYTES_MAX or len(key) > KEY_BYTES_MAX:
        raise ValueError(f"ack kind is at most {KIND_BYTES_MAX} and key at most {KEY_BYTES_MAX} characters")
    sink = _sink
    if sink is not None:
        sink(kind, key)


def set_sink(sink: Callable[[str, str], None] | None) -> Callable[[str, str], None] | None:
    """Install `sink` (or None); returns the previous one so the caller can restore it."""
    global _sink
    previous = _sink
    _sink = sink
    return previous
