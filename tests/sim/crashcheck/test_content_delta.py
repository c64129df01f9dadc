"""Whole-content rewrites become the writes and truncates that make them, and no more."""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from sim.crashcheck.content_delta import content_changes
from sim.disk.nodes import apply_data_op


def _apply(old: bytes, changes) -> bytes:
    buf = bytearray(old)
    for kind, offset, data in changes:
        apply_data_op(buf, (offset, data if kind == "write" else None))
    return bytes(buf)


def test_an_append_is_one_write_at_the_old_end():
    assert content_changes(b"abc", b"abcdef") == [("write", 3, b"def")]


def test_an_in_place_overwrite_is_the_smallest_differing_span():
    old = b"a" * 10_000
    new = old[:5000] + b"XY" + old[5002:]
    assert content_changes(old, new) == [("write", 5000, b"XY")]


def test_a_shrink_is_a_truncate_then_the_rewritten_span():
    assert content_changes(b"hello world", b"hello") == [("truncate", 5, b"")]
    assert content_changes(b"hello world", b"jello") == [("truncate", 5, b""), ("write", 0, b"j")]


def test_equal_contents_are_no_op():
    assert content_changes(b"same", b"same") == []


@settings(max_examples=300, deadline=None)
@given(old=st.binary(max_size=9000), new=st.binary(max_size=9000))
def test_the_changes_rebuild_the_new_content_from_the_old(old, new):
    changes = content_changes(old, new)
    assert _apply(old, changes) == new
    assert len([c for c in changes if c[0] == "write"]) <= 1
    assert all(c[2] for c in changes if c[0] == "write")


@settings(max_examples=200, deadline=None)
@given(base=st.binary(min_size=1, max_size=9000), data=st.data())
def test_a_local_edit_is_recorded_as_exactly_that_edit(base, data):
    start = data.draw(st.integers(0, len(base) - 1))
    patch = data.draw(st.binary(min_size=1, max_size=len(base) - start))
    new = base[:start] + patch + base[start + len(patch):]
    changes = content_changes(base, new)
    assert _apply(base, changes) == new
    for kind, offset, written in changes:
        assert kind == "write" and start <= offset and offset + len(written) <= start + len(patch)
