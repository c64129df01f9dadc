"""The text of a timestamp as RiskCast stores it: `datetime.isoformat()`, made cheaper for UTC.

WHY: every stored signal writes two timestamps as text (emitted_at, received_at), and CPython's
`isoformat` formats through its printf-style machinery: pydantic-core's formatter, with the
suffix swapped, costs about 30% less. For a `timezone.utc` value the two texts differ only in the offset's spelling ("Z"
against "+00:00"), with the same digits otherwise (a zero-padded four-digit year, six fraction
digits present only when the microsecond is not zero; a property test holds them equal over the
whole datetime range). Any other value is formatted by `isoformat` itself.
"""
from __future__ import annotations

from datetime import datetime, timezone

from pydantic_core import to_json

_UTC = timezone.utc
_JSON_UTC_SUFFIX = b'Z"'


def iso_text(value: datetime) -> str:
    """`value.isoformat()`, the same text for every datetime."""
    if value.tzinfo is _UTC:
        text = to_json(value)  # b'"YYYY-MM-DDTHH:MM:SS[.ffffff]Z"'
        assert text[:1] == b'"' and text[-2:] == _JSON_UTC_SUFFIX, text
        return text[1:-2].decode("ascii") + "+00:00"
    return value.isoformat()


__all__ = ["iso_text"]
