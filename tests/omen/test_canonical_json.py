"""canonical_json gives the stdlib encoder's bytes (sorted keys, compact, UTF-8) for every value,
and its errors: the input event hashes, so the signal ids, and the manifest bytes hang on it."""
from __future__ import annotations

import hashlib
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from omen.schema import canonical_json


def stdlib_canonical(value: object) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


# every code point, control characters and lone surrogates included
any_text = st.text(st.characters(min_codepoint=0, max_codepoint=0x10FFFF, exclude_categories=()), max_size=12)
flat_values = st.one_of(any_text, st.integers(), st.integers(min_value=-2**80, max_value=2**80), st.booleans(), st.none())
nested_values = st.recursive(
    st.one_of(flat_values, st.floats(allow_nan=False)),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(any_text, inner, max_size=3)),
    max_leaves=8,
)


def outcome(encode, value: object) -> tuple[str, object]:
    try:
        return "bytes", encode(value)
    except Exception as error:  # the error's type is part of what must not change
        return "error", type(error)


@given(st.dictionaries(any_text, flat_values, max_size=8))
def test_a_flat_dict_encodes_to_the_stdlib_bytes_or_raises_its_error(value):
    assert outcome(canonical_json, value) == outcome(stdlib_canonical, value)


@given(nested_values)
def test_any_other_value_encodes_to_the_stdlib_bytes_or_raises_its_error(value):
    assert outcome(canonical_json, value) == outcome(stdlib_canonical, value)


@pytest.mark.parametrize("value", [
    {"source": "feed-3", "severity": 2, "n": 17},
    {"z": None, "a": True, "m": "\x00\x1f\x7f\"\\\n\t\b\f\r\u2028é😀"},
    {"big": 2**70, "negative": -2**63},
    {},
])
def test_the_usual_input_events_and_the_awkward_characters_give_the_stdlib_bytes(value):
    assert canonical_json(value) == stdlib_canonical(value)


def test_a_lone_surrogate_is_refused_as_the_stdlib_refuses_it():
    with pytest.raises(UnicodeEncodeError):
        canonical_json({"k": "\ud800"})


def test_subclasses_and_floats_take_the_stdlib_path_and_keep_its_bytes():
    class Text(str):
        pass

    for value in ({"k": Text("v")}, {Text("k"): 1}, {"k": 1.5e16}, {"k": [1, 2]}, {1: "int key"}):
        assert canonical_json(value) == stdlib_canonical(value)


@given(st.binary(max_size=300))
def test_the_short_input_sha256_is_hashlibs_on_both_sides_of_its_threshold(data):
    from omen.schema import SHA256_BUILTIN_BYTES_MAX, _sha256_hex

    assert _sha256_hex(data) == hashlib.sha256(data).hexdigest()
    edge = data[:1] * SHA256_BUILTIN_BYTES_MAX
    for length in (len(edge) - 1, len(edge), len(edge) + 1):
        sample = (edge + b"\x00")[:max(length, 0)]
        assert _sha256_hex(sample) == hashlib.sha256(sample).hexdigest()
