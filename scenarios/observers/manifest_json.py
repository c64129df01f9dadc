"""One parse of a manifest's bytes for every observer that looks at them.

WHY: an open day's manifest lists every segment of the day and is rewritten at each rollover; at
each reconcile pass the seal observer and the manifest observer both parsed the same bytes (about
2 ms each for 860 segments), so the day's growth was paid twice per look. The document is a pure
function of the bytes; the memo holds the few latest ones, found by the bytes themselves (hashed
and compared whole, so any changed byte is a miss).
"""
from __future__ import annotations

import json
from typing import Any

# Documents remembered (a partition's latest manifest, for the few partitions a run has); bounded.
MANIFEST_DOCUMENTS_MAX = 16
_documents: dict[bytes, Any] = {}


def manifest_document(data: bytes) -> Any:
    """`json.loads(data)`: the same value, or the same ValueError. Shared: callers must not mutate it."""
    if type(data) is not bytes:
        return json.loads(data)  # str, bytearray: parsed as before, not remembered (not hashable, or mutable)
    found = _documents.get(data)
    if found is not None:
        return found
    document = json.loads(data)
    if len(_documents) >= MANIFEST_DOCUMENTS_MAX:
        _documents.clear()  # a memo of a pure function: dropping it costs speed, never an answer
    _documents[data] = document
    return document


__all__ = ["MANIFEST_DOCUMENTS_MAX", "manifest_document"]
