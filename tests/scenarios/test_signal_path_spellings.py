"""The test bed's per-signal steps, spelled cheaper, against the spelling they replaced: the same
text, the same draw, the same trace fields (the trace hashes hold whole runs to them too)."""
from __future__ import annotations

import json
import random
from datetime import datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from faults import FaultPlan
from omen.emitter.result import EmitStatus
from omen.schema import partition_for
from scenarios.drivers.workload_driver import _STATUS_TEXT
from scenarios.nodes.riskcast_node import _document_bytes, _encode_document
from scenarios.observers.requests import describe_body, described_fields
from scenarios.world import World, WorldConfig


@settings(max_examples=200, deadline=None)
@given(bits=st.integers(0, 2**64 - 1))
def test_an_ack_id_is_the_zero_padded_hex_of_its_64_bits(bits: int) -> None:
    assert "ack-" + bits.to_bytes(8, "big").hex() == f"ack-{bits:016x}"


def test_the_world_draws_ack_ids_and_sql_latencies_as_before(monkeypatch) -> None:
    world = World(WorldConfig(seed=7, sql_latency_s_max=0.003), FaultPlan())
    ids, sql = random.Random(), random.Random()
    ids.setstate(world._ids.getstate())
    sql.setstate(world._sql_rng.getstate())
    delays: list[float] = []
    monkeypatch.setattr(world.sim.loop, "sleep", delays.append)
    for _ in range(50):
        assert world.next_ack_id() == f"ack-{ids.getrandbits(64):016x}"
        world._sql_latency()
        assert delays[-1] == sql.uniform(0.0, 0.003)
        assert world._sql_rng.getstate() == sql.getstate()


@settings(max_examples=200, deadline=None)
@given(b=st.floats(-10.0, 10.0, allow_nan=False), seed=st.integers(0, 2**32))
def test_the_sql_latency_draw_is_uniforms_own_body(b: float, seed: int) -> None:
    one, two = random.Random(seed), random.Random(seed)
    assert 0.0 + (b - 0.0) * one.random() == two.uniform(0.0, b)


def test_an_emit_status_text_is_its_value() -> None:
    assert _STATUS_TEXT == {status: str(status.value) for status in EmitStatus}
    assert all(type(text) is str for text in _STATUS_TEXT.values())


@settings(max_examples=200, deadline=None)
@given(seconds=st.floats(-1e9, 1e9, allow_nan=False),
       offset_minutes=st.integers(-23 * 60, 23 * 60))
def test_the_emit_day_is_the_utc_date_of_emitted_at(seconds: float, offset_minutes: int) -> None:
    for zone in (timezone.utc, timezone(timedelta(minutes=offset_minutes))):
        emitted_at = datetime(2026, 1, 1, tzinfo=timezone.utc).astimezone(zone) + timedelta(seconds=seconds)
        assert partition_for(emitted_at) == emitted_at.astimezone(timezone.utc).date().isoformat()


@settings(max_examples=200, deadline=None)
@given(body=st.binary(max_size=80) | st.builds(
    lambda sid, part: b'{"signal_id":"%s","ledger_partition":"%s"}' % (sid, part),
    st.binary(max_size=12).filter(lambda b: b'"' not in b), st.binary(max_size=12).filter(lambda b: b'"' not in b)))
def test_a_requests_fields_are_describe_bodys(body: bytes) -> None:
    signal_id, partition = described_fields(body)
    assert describe_body(body) == {"signal_id": signal_id, "partition": partition}


@settings(max_examples=300, deadline=None)
@given(values=st.lists(st.one_of(st.text(), st.none(), st.integers()), min_size=3, max_size=3),
       extra=st.booleans())
def test_riskcasts_answer_is_written_as_the_sorted_json_encoder_writes_it(values: list, extra: bool) -> None:
    document = dict(zip(("status", "signal_id", "ack_id"), values))
    if extra:
        document["errors"] = []
    assert _document_bytes(document) == _encode_document(document).encode()
    assert _document_bytes(document) == json.dumps(document, sort_keys=True).encode()
