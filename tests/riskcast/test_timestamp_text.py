"""The stored timestamp text is `isoformat()`'s, for every datetime (UTC through the fast path)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from riskcast.timestamp_text import iso_text


@given(st.datetimes(timezones=st.just(timezone.utc)))
def test_a_utc_timestamp_has_the_isoformat_text(value):
    assert iso_text(value) == value.isoformat()


@given(st.datetimes(timezones=st.sampled_from([timezone(timedelta(hours=2)), timezone(timedelta(minutes=-330))])))
def test_an_offset_timestamp_has_the_isoformat_text(value):
    assert iso_text(value) == value.isoformat()


@pytest.mark.parametrize("value", [
    datetime.min.replace(tzinfo=timezone.utc), datetime.max.replace(tzinfo=timezone.utc),
    datetime(2026, 1, 2, 3, 4, 5, 1, tzinfo=timezone.utc), datetime(2026, 1, 2, 3, 4, 5, 250000, tzinfo=timezone.utc),
    datetime(999, 12, 31, 23, 59, 59, tzinfo=timezone.utc), datetime(2026, 1, 2, 3, 4, 5, fold=1, tzinfo=timezone.utc),
    datetime(2026, 1, 2, 3, 4, 5),
])
def test_the_edges_of_the_range_and_a_naive_value_have_the_isoformat_text(value):
    assert iso_text(value) == value.isoformat()
