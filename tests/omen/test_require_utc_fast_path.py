"""`_require_utc`: a timestamp read from JSON in UTC is converted by `datetime.combine`, not by
`astimezone`, and the answer is the conversion's own.

Every value in pydantic-core's shared UTC zone (what "Z", "+00:00" and "-00:00" parse to) is held
to `value.astimezone(timezone.utc)`: the same fields, zone object, fold and type. Values outside
the fast path (another offset, fold 1, a subclass, a naive value) keep the conversion or the
refusal they had. Mutants this catches (each tried, then removed): dropping the fold check (a
fold-1 value comes back with fold 1, the conversion gives 0), dropping the type check (a subclass
comes back a plain datetime; `astimezone` keeps the subclass), and building the value in the
parsed zone instead of timezone.utc.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic_core import SchemaValidator, core_schema

from omen import schema

_parse_json = SchemaValidator(core_schema.datetime_schema()).validate_json

# The whole range a UTC value can take (pydantic-core writes four-digit years).
instants = st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31, 23, 59, 59, 999999))


@settings(max_examples=200)
@given(instants, st.sampled_from(["Z", "+00:00", "-00:00"]))
def test_a_utc_timestamp_read_from_json_is_its_conversion(instant: datetime, suffix: str) -> None:
    value = _parse_json(('"' + instant.isoformat() + suffix + '"').encode())
    assert value.tzinfo is schema._JSON_UTC, "the fast path's zone is the one parsing gives"
    converted = schema._require_utc(value)
    expected = value.astimezone(timezone.utc)
    assert converted == expected
    assert type(converted) is type(expected) is datetime
    assert converted.tzinfo is expected.tzinfo is timezone.utc
    assert converted.fold == expected.fold == 0
    assert converted.isoformat() == expected.isoformat()


@settings(max_examples=100)
@given(instants)
def test_fold_one_in_the_parsed_zone_keeps_the_conversion(instant: datetime) -> None:
    value = instant.replace(tzinfo=schema._JSON_UTC, fold=1)
    converted = schema._require_utc(value)
    expected = value.astimezone(timezone.utc)
    assert (converted, converted.fold, converted.tzinfo) == (expected, expected.fold, timezone.utc)
    assert converted.fold == 0


class _Stamp(datetime):
    pass


def test_a_subclass_keeps_the_conversion() -> None:
    value = _Stamp(2026, 3, 1, 12, 0, tzinfo=schema._JSON_UTC)
    converted = schema._require_utc(value)
    expected = value.astimezone(timezone.utc)
    assert (type(converted), converted, converted.tzinfo) == (type(expected), expected, timezone.utc)


@settings(max_examples=100)
@given(instants, st.integers(min_value=-23 * 60, max_value=23 * 60).filter(bool))
def test_another_offset_is_converted_as_before(instant: datetime, minutes: int) -> None:
    value = instant.replace(tzinfo=timezone(timedelta(minutes=minutes)))
    try:
        expected = value.astimezone(timezone.utc)
    except OverflowError:
        with pytest.raises(ValueError, match="out of range"):
            schema._require_utc(value)
        return
    converted = schema._require_utc(value)
    assert (converted, converted.tzinfo, converted.fold) == (expected, timezone.utc, 0)


def test_a_naive_value_is_still_refused() -> None:
    with pytest.raises(ValueError, match="naive datetime refused"):
        schema._require_utc(datetime(2026, 3, 1, 12, 0))
