"""The emitter reads the ack_id of a 200/409 body the way `json.loads` would read it.

`_ack_id_of` parses with pydantic_core's `from_json` (fast) and hands whatever that refuses to
`json.loads`, so every body `json.loads` accepts gives the same answer.
"""
from __future__ import annotations

import json

import pytest

from omen.emitter.signal_emitter import _ack_id_of

DOCUMENT = {"status": "accepted", "signal_id": "OMEN-1", "ack_id": "ack-0001"}


@pytest.mark.parametrize("body", [
    json.dumps(DOCUMENT).encode(),                     # json.dumps's separators
    json.dumps(DOCUMENT, separators=(",", ":")).encode(),  # compact, what to_json writes
    b"\xef\xbb\xbf" + json.dumps(DOCUMENT).encode(),   # a UTF-8 BOM: from_json refuses, json.loads reads it
    json.dumps(DOCUMENT).encode("utf-16"),             # another UTF encoding: likewise
])
def test_the_ack_id_of_any_body_json_loads_reads(body):
    assert _ack_id_of(body) == "ack-0001" == json.loads(body)["ack_id"]


@pytest.mark.parametrize("body", [
    b"", b"not json", b'{"ack_id": ', b"[1, 2]", b'{"ack_id": 7}', b'{"ack_id": ""}', b'{"status": "accepted"}',
    b"\xff\xfe\x00garbage",
])
def test_a_body_without_a_usable_ack_id_gives_none(body):
    assert _ack_id_of(body) is None


def test_a_lone_surrogate_escape_reads_as_json_loads_reads_it():
    body = b'{"ack_id": "ack-\\ud800"}'
    assert _ack_id_of(body) == json.loads(body)["ack_id"]
