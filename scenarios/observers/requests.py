"""Observer of the network: which signal a request body carries, and into which partition.

Asked at every request the simulated network sends (and at every ingest), so it finds the two
string fields without parsing the whole document; a body without them (malformed, or not a
signal) is described as carrying no signal.
"""
from __future__ import annotations

import re
from typing import Any

# What follows `"key"` in a JSON body: optional whitespace, a colon, optional whitespace, and a
# string up to the next quote. One compiled match from where the key ends: the same answer as
# stepping over the bytes one slice at a time, without a Python-level loop per byte.
_VALUE_AFTER_KEY = re.compile(rb'[ \t\n\r]*:[ \t\n\r]*"([^"]*)"')


def _string_field(body: bytes, quoted_key: bytes) -> str | None:
    """The string value of `"key": "..."` in a JSON body (whitespace around the colon allowed, as
    any JSON encoder may emit it), `quoted_key` being `"key"` with its quotes. Only the first
    occurrence of `"key"` is read."""
    start = body.find(quoted_key)
    if start < 0:
        return None
    after = start + len(quoted_key)
    if body[after:after + 2] == b':"':
        # WHY: the compact form every body the simulation sends has (no whitespace), found with two
        # finds and a slice; the compiled match costs several times as much for the same answer:
        # the value runs to the next quote, and without one there is no value
        end = body.find(b'"', after + 2)
        return None if end < 0 else body[after + 2:end].decode("utf-8", "replace")
    found = _VALUE_AFTER_KEY.match(body, after)
    return None if found is None else found.group(1).decode("utf-8", "replace")


# Bodies described lately -> (signal_id, partition). Each request is described twice (the network's
# "net.send", RiskCast's "ingest.result") and a retry or replay sends the same bytes again. A pure
# function's memo, bounded (cleared when full): dropping it changes nothing but speed.
DESCRIBED_BODIES_MAX = 1024
_described: dict[bytes, tuple[str | None, str | None]] = {}


_SIGNAL_ID_KEY = b'"signal_id"'
_PARTITION_KEY = b'"ledger_partition"'
_SIGNAL_ID_VALUE_AT = len(_SIGNAL_ID_KEY) + 2  # past `"signal_id":"`, the compact form
_PARTITION_VALUE_AT = len(_PARTITION_KEY) + 2


def described_fields(body: bytes) -> tuple[str | None, str | None]:
    """(signal_id, partition) of a request body, None for each one absent: `describe_body`'s two
    values, without the dict, for a caller that builds its own fields.

    WHY `_string_field`'s fast path written out here for both keys: a body is described at every
    request and every ingest, and a new body (one a signal) took two calls for it; any body not in
    the compact form goes through `_string_field` itself, so the answers are its answers."""
    if type(body) is not bytes:
        return (_string_field(body, _SIGNAL_ID_KEY), _string_field(body, _PARTITION_KEY))
    found = _described.get(body)
    if found is not None:
        return found
    start = body.find(_SIGNAL_ID_KEY)
    if start >= 0 and body[start + _SIGNAL_ID_VALUE_AT - 2:start + _SIGNAL_ID_VALUE_AT] == b':"':
        end = body.find(b'"', start + _SIGNAL_ID_VALUE_AT)
        signal_id = None if end < 0 else body[start + _SIGNAL_ID_VALUE_AT:end].decode("utf-8", "replace")
    else:
        signal_id = None if start < 0 else _string_field(body, _SIGNAL_ID_KEY)
    start = body.find(_PARTITION_KEY)
    if start >= 0 and body[start + _PARTITION_VALUE_AT - 2:start + _PARTITION_VALUE_AT] == b':"':
        end = body.find(b'"', start + _PARTITION_VALUE_AT)
        partition = None if end < 0 else body[start + _PARTITION_VALUE_AT:end].decode("utf-8", "replace")
    else:
        partition = None if start < 0 else _string_field(body, _PARTITION_KEY)
    if len(_described) >= DESCRIBED_BODIES_MAX:
        _described.clear()
    found = _described[body] = (signal_id, partition)
    assert len(_described) <= DESCRIBED_BODIES_MAX
    return found


def describe_body(body: bytes) -> dict[str, Any]:
    """Trace fields for a request body: `signal_id` and `partition` (None when absent); a new dict
    at every call (the caller may add fields to it)."""
    found = described_fields(body)
    return {"signal_id": found[0], "partition": found[1]}
