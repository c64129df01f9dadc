"""The requests observer: the signal a body carries, found without parsing the whole document."""
from __future__ import annotations

from scenarios.observers import requests
from scenarios.observers.requests import describe_body


def test_the_fields_are_found_with_any_json_whitespace_around_the_colon() -> None:
    body = b'{"event": {"signal_id" :\n "OMEN-1", "ledger_partition":\t"2026-01-01"}}'
    assert describe_body(body) == {"signal_id": "OMEN-1", "partition": "2026-01-01"}


def test_a_body_without_the_fields_or_with_a_broken_value_carries_no_signal() -> None:
    assert describe_body(b"not json") == {"signal_id": None, "partition": None}
    assert describe_body(b'{"signal_id": 12}') == {"signal_id": None, "partition": None}
    assert describe_body(b'{"signal_id": "unterminated') == {"signal_id": None, "partition": None}
    # only the first "signal_id" is read: a later well-formed one does not count
    assert describe_body(b'{"signal_id": 1, "x": {"signal_id": "B"}}')["signal_id"] is None


def test_each_call_returns_a_new_dict_so_a_caller_may_add_fields() -> None:
    body = b'{"signal_id":"OMEN-2","ledger_partition":"p"}'
    first = describe_body(body)
    first["durable"] = True
    assert describe_body(body) == {"signal_id": "OMEN-2", "partition": "p"}
    assert describe_body(bytearray(body)) == {"signal_id": "OMEN-2", "partition": "p"}


def test_the_memo_of_described_bodies_stays_bounded() -> None:
    for number in range(requests.DESCRIBED_BODIES_MAX + 10):
        assert describe_body(b'{"signal_id":"S%d"}' % number)["signal_id"] == f"S{number}"
    assert len(requests._described) <= requests.DESCRIBED_BODIES_MAX
