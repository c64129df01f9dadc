"""The text of a timestamp as RiskCast stores it: `datetime.isoformat()`, made cheaper for UTC.

WHY: every stored signal writes two timestamps as text (emitted_at, received_at), and CPython's
`isoformat` formats through its printf-style machinery: pydantic-core's formatter, with the
suffix swapped, costs about 30% less. For a `timezone.utc` value the two texts differ only in the offset's spelling ("Z"
against "+00:00"), with the same digits otherwise (a zero-padded four-digit year, six fraction
digits present only when the microsecond is not zero; a property test holds them equal over the
whole datetime range). Any other value is formatted by `isoformat` itself.

The emitted_at column needs no formatting at all: the row's event JSON, written by the same
pydantic-core formatter, already holds that text (`emitted_at_text`).
"""
from __future__ import annotations

from datetime import datetime, timezone

from pydantic_core import SchemaSerializer, core_schema

_UTC = timezone.utc
_Z_BYTE, _QUOTE_BYTE = b'Z"'
# pydantic-core's datetime serializer itself: `to_json` would first infer the value's type
_datetime_json = SchemaSerializer(core_schema.datetime_schema()).to_json
_UTC_SUFFIX = "+00:00"
_EMITTED_AT_KEY = '"emitted_at":"'
_EMITTED_AT_KEY_CHARS = len(_EMITTED_AT_KEY)
# What follows the top-level emitted_at key in an event's JSON: its timestamp, then the three ledger
# fields (a placed partition name, a sequence, a timestamp: about 150 characters). Searching only
# this far from the end keeps the search off the payload; a longer tail finds nothing and falls
# back to formatting.
EMITTED_AT_TAIL_CHARS_MAX = 256


def iso_text(value: datetime) -> str:
    """`value.isoformat()`, the same text for every datetime."""
    if value.tzinfo is _UTC:
        data = _datetime_json(value)  # b'"YYYY-MM-DDTHH:MM:SS[.ffffff]Z"'
        # two bytes compared as ints, and the bytes sliced before decoding: no slice of the text is
        # built for the check (7.9 k -> 7.2 k instructions a call, once per stored signal)
        assert data[-2] == _Z_BYTE and data[0] == _QUOTE_BYTE, data
        return data[1:-2].decode() + _UTC_SUFFIX
    return value.isoformat()


def emitted_at_text(emitted_at: datetime, event_json: str) -> str:
    """`iso_text(emitted_at)`, cut from `event_json`, which must be the JSON of the event whose
    emitted_at this is.

    WHY the last occurrence of the key is the event's own: the model writes its fields in their
    declared order and emitted_at is followed only by the ledger fields, whose values (strings,
    an int, a timestamp, nulls) hold no unescaped quote; a payload's nested "emitted_at" comes
    before it. The timestamp's text is pydantic-core's, as `iso_text` uses it: a `timezone.utc`
    value ends in "Z", swapped for "+00:00". Anything else is formatted (a property test holds the
    two equal over events whose payloads hold decoy keys). The search starts the tail's length
    from the end: on a JSON shorter than that (no event's is) `rfind` counts the negative start
    from the end, searches less and at worst finds nothing, so the text is formatted instead."""
    if emitted_at.tzinfo is _UTC:
        start = event_json.rfind(_EMITTED_AT_KEY, len(event_json) - EMITTED_AT_TAIL_CHARS_MAX)
        if start >= 0:
            start += _EMITTED_AT_KEY_CHARS
            end = event_json.find('"', start)
            if end > start and event_json[end - 1] == "Z":
                return event_json[start : end - 1] + _UTC_SUFFIX
    return iso_text(emitted_at)


__all__ = ["EMITTED_AT_TAIL_CHARS_MAX", "emitted_at_text", "iso_text"]
