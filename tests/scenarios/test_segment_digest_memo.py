"""`segment_digest` remembers a segment's SHA-256 with the bytes it hashed: the seal's hashes and the
run end's `final_segment_hashes` hash a sealed segment once. Its answer must be `hashlib.sha256` of
the bytes given, whatever the path saw before (rewritten, rotted, grown, equal bytes in a new object).
"""
from __future__ import annotations

import hashlib
import random

from hypothesis import given, settings
from hypothesis import strategies as st

from scenarios.observers import seals
from scenarios.observers.final_state import final_segment_hashes
from scenarios.observers.seals import segment_digest

PATHS = ("/ledger/d/segment-000001.log", "/ledger/d/segment-000002.log")


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(PATHS), st.binary(max_size=64), st.booleans()), max_size=30))
def test_the_digest_is_that_of_the_bytes_given(asks: list[tuple[str, bytes, bool]]) -> None:
    for path, data, copied in asks:
        given_bytes = bytes(bytearray(data)) if copied else data  # equal bytes, another object
        assert segment_digest(path, given_bytes) == hashlib.sha256(data).hexdigest()


def test_a_segment_hashed_at_its_seal_is_not_hashed_again_at_the_end(monkeypatch) -> None:
    hashed: list[int] = []

    class CountingHashlib:
        @staticmethod
        def sha256(data: bytes):  # noqa: ANN205 - hashlib's own type
            hashed.append(len(data))
            return hashlib.sha256(data)

    monkeypatch.setattr(seals, "hashlib", CountingHashlib)
    data = random.Random(4).randbytes(1000)
    sealed = {"/ledger/2026-02-01/segment-000001.log": data}
    assert segment_digest("/ledger/2026-02-01/segment-000001.log", data) == hashlib.sha256(data).hexdigest()
    assert hashed == [1000]
    assert final_segment_hashes(sealed, "/ledger", ["2026-02-01"]) == {
        "2026-02-01": {"segment-000001.log": hashlib.sha256(data).hexdigest()}}
    assert hashed == [1000]  # the same bytes: the seal's digest
    rotted = bytes([data[0] ^ 1]) + data[1:]
    assert final_segment_hashes({"/ledger/2026-02-01/segment-000001.log": rotted}, "/ledger", ["2026-02-01"]) == {
        "2026-02-01": {"segment-000001.log": hashlib.sha256(rotted).hexdigest()}}
    assert hashed == [1000, 1000]  # compared whole: rot is hashed again
