"""Observer of the network: which signal a request body carries, and into which partition.

Asked at every request the simulated network sends (and at every ingest), so it finds the two
string fields without parsing the whole document; a body without them (malformed, or not a
signal) is described as carrying no signal.
"""
from __future__ import annotations

from typing import Any

WHITESPACE = (b" ", b"\t", b"\n", b"\r")


def _string_field(body: bytes, key: bytes) -> str | None:
    """The string value of `"key": "..."` in a JSON body (whitespace around the colon allowed, as
    any JSON encoder may emit it)."""
    start = body.find(b'"' + key + b'"')
    if start < 0:
        return None
    position = start + len(key) + 2
    for expected in (b":", b'"'):
        while position < len(body) and body[position:position + 1] in WHITESPACE:
            position += 1
        if body[position:position + 1] != expected:
            return None
        position += 1
    end = body.find(b'"', position)
    return body[position:end].decode("utf-8", "replace") if end >= position else None


def describe_body(body: bytes) -> dict[str, Any]:
    """Trace fields for a request body: `signal_id` and `partition` (None when absent)."""
    return {"signal_id": _string_field(body, b"signal_id"),
            "partition": _string_field(body, b"ledger_partition")}
