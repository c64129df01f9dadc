"""The run's end asks each question once: the facts several checkers derive from the final state
are derived once, on the context, and held here to the comprehensions each checker ran."""
from __future__ import annotations


from hypothesis import given, settings
from hypothesis import strategies as st

from scenarios.invariants.model import CheckContext
from scenarios.ledger_oracle import OraclePartition, OracleRecord, OracleSegment


def _context(events: list, visible: dict, durable: dict) -> CheckContext:
    return CheckContext(events=events, final_visible=visible, final_durable=durable, stored_rows=[],
                        reconcile_state={}, reader_view={}, observations=None, faults_fired={})


def _partition(name: str, records: list[tuple[str, int]]) -> OraclePartition:
    segment = OracleSegment(name="segment-000001.log", size_bytes=0, valid_bytes=0)
    segment.records = [OracleRecord(name, segment.name, offset, sid, sequence, {})
                       for offset, (sid, sequence) in enumerate(records)]
    return OraclePartition(name, [segment])


@settings(max_examples=200, deadline=None)
@given(visible=st.dictionaries(st.sampled_from(["2026-01-01", "2026-01-01-late", "2026-01-02"]),
                               st.lists(st.tuples(st.sampled_from("abcd"), st.integers(0, 4)), max_size=6), max_size=3),
       durable=st.dictionaries(st.sampled_from(["2026-01-01", "2026-01-02"]),
                               st.lists(st.tuples(st.sampled_from("abce"), st.integers(0, 4)), max_size=6), max_size=2))
def test_the_shared_facts_are_what_each_checker_derived(visible: dict, durable: dict) -> None:
    ctx = _context([], {name: _partition(name, records) for name, records in sorted(visible.items())},
                   {name: _partition(name, records) for name, records in sorted(durable.items())})
    placed = {(record.partition, record.sequence): record.signal_id
              for partition in ctx.final_visible.values() for record in partition.records}
    durable_ids = {r.signal_id for p in ctx.final_durable.values() for r in p.records}
    for _ in range(2):  # asked again: the same answer
        assert ctx.placed() == placed and list(ctx.placed()) == list(placed)
        assert ctx.durable_ids() == durable_ids
