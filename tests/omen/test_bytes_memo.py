"""Specification of BytesMemo, the one memo behind the reader's verified segments, salvage's replays
and the writer's recovery scans: a hit needs the same key, equal inputs and byte-equal data; it is
bounded by the bytes it holds and evicts in a defined order (a replaced key first, then everything
at once when a new entry would overflow the budget)."""
from __future__ import annotations

import pytest

from omen.ledger.bytes_memo import BytesMemo


def test_a_hit_needs_the_same_key_equal_inputs_and_byte_equal_data():
    memo: BytesMemo[str] = BytesMemo(bytes_max=100)
    memo.put(("2026-01-02", "segment-000001.log"), (True, None), b"frames", "verified")
    assert memo.get(("2026-01-02", "segment-000001.log"), (True, None), bytes(b"frames")) == "verified"
    assert memo.get(("2026-01-02", "segment-000002.log"), (True, None), b"frames") is None  # other key
    assert memo.get(("2026-01-02", "segment-000001.log"), (False, None), b"frames") is None  # other rule
    assert memo.get(("2026-01-02", "segment-000001.log"), (True, None), b"frameS") is None  # rot, same size
    assert memo.get(("2026-01-02", "segment-000001.log"), (True, None), b"frames+") is None  # grown tail


def test_a_newer_entry_replaces_the_one_under_its_key_and_its_bytes():
    memo: BytesMemo[int] = BytesMemo(bytes_max=100)
    memo.put("a", 1, b"x" * 30, 1)
    memo.put("a", 1, b"y" * 10, 2)
    assert memo.get("a", 1, b"x" * 30) is None
    assert memo.get("a", 1, b"y" * 10) == 2
    assert (len(memo), memo.held_bytes) == (1, 10)


def test_data_larger_than_the_budget_is_never_kept_and_drops_what_its_key_held():
    memo: BytesMemo[int] = BytesMemo(bytes_max=8)
    memo.put("a", None, b"small", 1)
    memo.put("a", None, b"far too large", 2)
    assert memo.get("a", None, b"far too large") is None
    assert memo.get("a", None, b"small") is None  # replaced, not kept beside the new answer
    assert (len(memo), memo.held_bytes) == (0, 0)


def test_an_entry_that_would_overflow_the_budget_drops_every_entry_then_is_kept():
    memo: BytesMemo[str] = BytesMemo(bytes_max=10)
    memo.put("a", None, b"aaaa", "A")
    memo.put("b", None, b"bbbb", "B")
    assert memo.held_bytes == 8
    memo.put("c", None, b"ccc", "C")
    assert memo.get("a", None, b"aaaa") is None and memo.get("b", None, b"bbbb") is None
    assert memo.get("c", None, b"ccc") == "C"
    assert (len(memo), memo.held_bytes) == (1, 3)


def test_a_zero_budget_keeps_nothing():
    memo: BytesMemo[str] = BytesMemo(bytes_max=0)
    memo.put("a", None, b"x", "X")
    assert memo.get("a", None, b"x") is None and len(memo) == 0


def test_none_cannot_be_remembered_because_it_means_a_miss():
    with pytest.raises(AssertionError, match="miss"):
        BytesMemo(bytes_max=10).put("a", None, b"x", None)


def test_latest_is_what_a_key_holds_whatever_its_inputs_and_bytes_and_never_an_answer_for_others():
    memo: BytesMemo[str] = BytesMemo(bytes_max=100)
    assert memo.latest("a") is None
    memo.put("a", 1, b"abc", "first")
    assert memo.get("a", 1, b"abd") is None and memo.latest("a") == "first"
    memo.put("a", 2, b"abd", "second")
    assert memo.latest("a") == "second" and memo.get("a", 1, b"abc") is None
    unbudgeted: BytesMemo[str] = BytesMemo(bytes_max=0)
    unbudgeted.put("b", None, b"x", "never kept")
    assert unbudgeted.latest("b") is None
