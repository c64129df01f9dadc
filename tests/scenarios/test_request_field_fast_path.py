"""`requests._string_field`'s compact-form fast path gives the compiled match's answer, always.

A body in the compact form (`"key":"value"`, no whitespace) is read with finds and a slice; every
other body goes to the match. The reference below is the match alone, as it was before the fast
path; over bodies made of keys, quotes, colons, JSON whitespace and arbitrary bytes (broken UTF-8
and unterminated values included), both give the same value or the same None.
"""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from scenarios.observers import requests
from scenarios.observers.requests import _VALUE_AFTER_KEY, _string_field, described_fields

KEYS = (b"signal_id", b"ledger_partition")
FRAGMENTS = st.sampled_from([
    b'"signal_id"', b'"ledger_partition"', b'"', b':', b':"', b'" :', b' ', b'\n', b'\t', b'\r', b',', b'{', b'}',
    b'OMEN-1', b'2026-01-01', b'\xff\xfe', b'\xc3\xa9', b'\\"', b'"signal_id":"', b'"ledger_partition":"',
])
BODIES = st.lists(st.one_of(FRAGMENTS, st.binary(max_size=6)), max_size=14).map(b"".join)


def _by_the_match(body: bytes, key: bytes) -> str | None:
    start = body.find(b'"' + key + b'"')
    if start < 0:
        return None
    found = _VALUE_AFTER_KEY.match(body, start + len(key) + 2)
    return None if found is None else found.group(1).decode("utf-8", "replace")


@settings(max_examples=1500, deadline=None)
@given(BODIES)
def test_the_fast_path_and_the_match_give_the_same_field(body: bytes) -> None:
    for key in KEYS:
        expected = _by_the_match(body, key)
        assert _string_field(body, b'"' + key + b'"') == expected
        assert _string_field(bytearray(body), b'"' + key + b'"') == expected


@settings(max_examples=1500, deadline=None)
@given(BODIES)
def test_both_fields_written_out_are_the_matchs_first_and_again_from_the_memo(body: bytes) -> None:
    """`described_fields` reads both keys with the fast path inline, not through `_string_field`."""
    expected = (_by_the_match(body, KEYS[0]), _by_the_match(body, KEYS[1]))
    requests._described.pop(body, None)
    assert described_fields(body) == expected
    assert described_fields(body) == expected  # a memo hit
    assert described_fields(bytearray(body)) == expected  # never memoized


def test_the_compact_form_and_its_edges() -> None:
    quoted = b'"signal_id"'
    assert _string_field(b'{"signal_id":"OMEN-1","x":2}', quoted) == "OMEN-1"
    assert _string_field(b'{"signal_id":""}', quoted) == ""
    assert _string_field(b'{"signal_id":"unterminated', quoted) is None
    assert _string_field(b'{"signal_id":"\xff"}', quoted) == "\ufffd"
    assert _string_field(b'{"signal_id": "spaced"}', quoted) == "spaced"
    assert _string_field(b'{"signal_id":1,"signal_id":"later"}', quoted) is None
