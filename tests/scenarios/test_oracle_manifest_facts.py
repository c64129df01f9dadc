"""The oracle reads a manifest's `sealed` and the segments it holds to counts from one parse of its
bytes, shared through the memo: the same facts as reading each from the bytes apart, for any bytes."""
from __future__ import annotations

import json

from hypothesis import given, settings, strategies as st

from scenarios.ledger_oracle import BytesMemo, _manifest_facts, parse_ledger


def sealed_apart(data: bytes) -> bool | None:
    try:
        sealed = json.loads(data).get("sealed")
    except (ValueError, AttributeError):
        return None
    return sealed if isinstance(sealed, bool) else None


def held_apart(data: bytes) -> dict[str, tuple[int, int]]:
    try:
        document = json.loads(data)
        sealed = document["sealed"] is True
        return {str(entry["name"]): (int(entry["record_count"]), int(entry["size_bytes"]))
                for entry in document["segments"] if sealed or entry["sealed"] is True}
    except (ValueError, KeyError, TypeError, AttributeError):
        return {}


values = st.one_of(st.none(), st.booleans(), st.integers(-3, 3), st.text(max_size=3), st.just("12"))
entries = st.fixed_dictionaries({}, optional={"name": values, "record_count": values, "size_bytes": values,
                                              "sealed": values})
documents = st.one_of(
    st.fixed_dictionaries({}, optional={"sealed": values, "segments": st.one_of(values, st.lists(entries, max_size=3))}),
    st.lists(values, max_size=2), values)
manifest_bytes = st.one_of(documents.map(lambda d: json.dumps(d).encode()), st.binary(max_size=20))


@settings(max_examples=400, deadline=None)
@given(manifest_bytes)
def test_one_parse_gives_the_facts_two_parses_gave(data: bytes) -> None:
    assert _manifest_facts(data) == (sealed_apart(data), held_apart(data))


def test_a_memo_shares_the_parse_and_each_ledger_gets_its_own_dict() -> None:
    root = "/ledger"
    manifest = json.dumps({"sealed": True, "segments": [
        {"name": "segment-000001.log", "record_count": 0, "size_bytes": 0, "sealed": True}]}).encode()
    files = {f"{root}/2026-01-01/_manifest.json": manifest, f"{root}/2026-01-01/segment-000001.log": b""}
    memo = BytesMemo()
    first, second = parse_ledger(files, root, memo=memo), parse_ledger(files, root, memo=memo)
    assert first["2026-01-01"].held_segments == {"segment-000001.log": (0, 0)} == second["2026-01-01"].held_segments
    assert first["2026-01-01"].held_segments is not second["2026-01-01"].held_segments
    assert first["2026-01-01"].sealed is True and parse_ledger(files, root)["2026-01-01"].sealed is True
