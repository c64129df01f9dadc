"""A JSON encoder's C core, built once from its settings: `JSONEncoder.encode` rebuilds it at every call.

WHY: the trace hashes seven events per simulated signal and the simulated RiskCast answers every
request with a JSON document; `JSONEncoder(...).encode` (and `json.dumps` with any option) makes a
new C encoder each time, which costs more than encoding a small document. Built once from the
same settings, it writes the same text. There is no circular-reference check (the callers encode
plain, acyclic values), which is the one thing it leaves out.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from json.encoder import c_make_encoder, encode_basestring, encode_basestring_ascii
from typing import Any

assert c_make_encoder is not None, "CPython's _json accelerator is required"


def encoder_of(settings: json.JSONEncoder) -> Callable[[Any], str]:
    """`settings.encode`, for acyclic values, without its per-call setup (indentation is not supported)."""
    if settings.indent is not None:
        raise ValueError("encoder_of builds compact encoders only: indent must be None")
    chunks = c_make_encoder(None, settings.default,
                            encode_basestring_ascii if settings.ensure_ascii else encode_basestring, None,
                            settings.key_separator, settings.item_separator, settings.sort_keys,
                            settings.skipkeys, settings.allow_nan)

    def encode(value: Any) -> str:
        return "".join(chunks(value, 0))

    return encode


__all__ = ["encoder_of"]
