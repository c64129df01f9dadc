"""`encoder_of(settings)` writes exactly what `settings.encode` writes, for the values the test bed encodes."""
from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sim.json_encoder import encoder_of

SCALARS = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text()
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
                      max_leaves=12)
SETTINGS = [json.JSONEncoder(sort_keys=True), json.JSONEncoder(separators=(",", ":"), sort_keys=True),
            json.JSONEncoder(ensure_ascii=False), json.JSONEncoder()]


@pytest.mark.parametrize("settings", SETTINGS, ids=["sorted", "compact-sorted", "unicode", "default"])
@given(value=VALUES)
def test_the_text_is_the_encoders_own(settings: json.JSONEncoder, value: object) -> None:
    assert encoder_of(settings)(value) == settings.encode(value)


def test_an_indenting_encoder_is_refused() -> None:
    with pytest.raises(ValueError, match="indent"):
        encoder_of(json.JSONEncoder(indent=2))
