"""RiskCast's simulated endpoint writes each answer as `json.dumps(document, sort_keys=True)` would."""
from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from scenarios.nodes.riskcast_node import _encode_document

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=8,
)


@given(st.dictionaries(st.text(), json_values, max_size=6))
def test_the_answer_body_is_what_json_dumps_with_sorted_keys_writes(document: dict) -> None:
    assert _encode_document(document) == json.dumps(document, sort_keys=True)


def test_the_handlers_answers_encode_as_before() -> None:
    for document in ({"status": "accepted", "signal_id": "OMEN-1", "ack_id": "ack-00ff"},
                     {"status": "duplicate", "signal_id": "OMEN-1", "ack_id": None},
                     {"status": "invalid", "errors": [{"type": "missing", "msg": "Field required \u00e9"}]}):
        assert _encode_document(document) == json.JSONEncoder(sort_keys=True).encode(document)
