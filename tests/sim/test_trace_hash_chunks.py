"""`Trace.hash` joins its lines a chunk at a time; it must hash exactly the bytes `hash_lines` hashes."""
from __future__ import annotations

import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sim import trace as trace_module
from sim.trace import Trace, canonical_line, hash_lines


def reference_hash(lines: list[str]) -> str:
    """SHA-256 of the lines joined with '\\n', in one update: the definition of the trace hash."""
    return hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()


@pytest.mark.parametrize("chunk_lines", [1, 2, 3, 4096])
def test_the_hash_of_any_prefix_is_the_hash_of_its_lines_at_any_chunk_size(chunk_lines, monkeypatch) -> None:
    monkeypatch.setattr(trace_module, "HASH_CHUNK_LINES", chunk_lines)

    @given(st.lists(st.tuples(st.sampled_from(["a", "b", "é"]), st.integers(), st.text(max_size=3)), max_size=9),
           st.data())
    def check(recorded: list, data) -> None:
        trace = Trace(time_fn=lambda: 0.25)
        for node, number, text in recorded:
            trace.record(node, "k", n=number, s=text)
        lines = [canonical_line(event) for event in trace.events]
        count = data.draw(st.integers(0, len(lines)))
        assert trace.hash(count) == hash_lines(lines[:count]) == reference_hash(lines[:count])
        assert trace.hash() == hash_lines(lines) == reference_hash(lines)

    check()
