"""The schema does each piece of per-signal work once, and the shortcuts give the same bytes and ids.

A signal's identity is derived once (memoized), a placed event is serialized once (the writer
frames the bytes the emitter pushes), and the writer does not validate its own frozen event
again; every validation from bytes still checks the identity.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

from omen import SignalEvent
from omen.schema import LedgerRecord, derive_signal_id, derive_trace_id, derived_identity, generate_input_event_hash

EMITTED_AT = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)


def make_event(n: int = 1) -> SignalEvent:
    return SignalEvent.create(
        event_id=f"evt-{n}", input_event={"feed": "ports", "n": n}, ruleset_version="rules-1",
        category="port_congestion", observed_at=EMITTED_AT - timedelta(seconds=1), emitted_at=EMITTED_AT,
        payload={"severity": n},
    )


def placed(event: SignalEvent, sequence: int = 1) -> SignalEvent:
    return event.with_ledger_metadata(partition="2026-03-01", sequence=sequence, written_at=EMITTED_AT)


def created_by_the_constructor(**fields) -> SignalEvent:
    """What `SignalEvent.create` builds, built through the model's own `__init__`."""
    input_event_hash = generate_input_event_hash(fields.pop("input_event"))
    trace_id, signal_id = derived_identity(fields["event_id"], input_event_hash, fields["ruleset_version"])
    return SignalEvent(input_event_hash=input_event_hash, trace_id=trace_id, signal_id=signal_id, **fields)


def test_create_builds_the_instance_the_constructor_builds():
    fields = dict(event_id="evt-9", input_event={"feed": "ports", "n": 9}, ruleset_version="rules-1",
                  category="weather", observed_at=EMITTED_AT.astimezone(timezone(timedelta(hours=3))),
                  emitted_at=EMITTED_AT, payload={"severity": 2, "deep": [1.5]})
    fast, reference = SignalEvent.create(**fields), created_by_the_constructor(**dict(fields))
    assert type(fast) is type(reference) is SignalEvent
    assert fast == reference and fast.__dict__ == reference.__dict__
    assert fast.model_fields_set == reference.model_fields_set
    assert fast.__pydantic_extra__ is reference.__pydantic_extra__ is None
    assert fast.__pydantic_private__ is reference.__pydantic_private__ is None
    assert fast.observed_at.tzinfo is timezone.utc and fast.json_bytes() == reference.model_dump_json().encode()


def test_create_never_keeps_the_callers_payload_dict():
    """`create` hands a dict payload to the validator uncopied: the event's dict is the validator's
    own, so a caller changing its dict afterwards changes nothing of the event."""
    payload = {"severity": 2, "deep": {"k": [1]}}
    event = SignalEvent.create(event_id="evt-9", input_event={"n": 9}, ruleset_version="rules-1",
                               category="weather", observed_at=EMITTED_AT, emitted_at=EMITTED_AT, payload=payload)
    assert event.payload == payload and event.payload is not payload
    payload["severity"] = 3
    assert event.payload["severity"] == 2


@pytest.mark.parametrize("bad", [
    {"observed_at": datetime(2026, 3, 1)}, {"category": ""}, {"payload": {"score": float("nan")}},
    {"event_id": "x" * 300, "emitted_at": "not a time"},
])
def test_create_refuses_what_the_constructor_refuses_with_the_same_errors(bad):
    fields = dict(event_id="evt-9", input_event={"n": 9}, ruleset_version="rules-1", category="weather",
                  observed_at=EMITTED_AT, emitted_at=EMITTED_AT, payload={}) | bad
    with pytest.raises(ValidationError) as fast:
        SignalEvent.create(**fields)
    with pytest.raises(ValidationError) as reference:
        created_by_the_constructor(**dict(fields))
    assert fast.value.title == reference.value.title == "SignalEvent"
    assert fast.value.json() == reference.value.json() and str(fast.value) == str(reference.value)


def test_derived_identity_is_the_pair_of_public_derivations():
    event = make_event()
    trace_id, signal_id = derived_identity(event.event_id, event.input_event_hash, event.ruleset_version)
    assert trace_id == derive_trace_id(event.event_id, event.input_event_hash, event.ruleset_version) == event.trace_id
    assert signal_id == derive_signal_id(event.event_id, event.input_event_hash, event.ruleset_version)
    assert signal_id == event.signal_id


def test_validation_from_bytes_still_refuses_an_id_that_is_not_derived():
    event = make_event()
    derived_identity(event.event_id, event.input_event_hash, event.ruleset_version)  # memoized now
    forged = event.model_copy(update={"signal_id": "OMEN-" + "0" * 24}).model_dump_json()
    with pytest.raises(ValidationError, match="signal_id .* is not derived"):
        SignalEvent.model_validate_json(forged)
    forged_trace = event.model_copy(update={"trace_id": "f" * 32}).model_dump_json()
    with pytest.raises(ValidationError, match="trace_id .* is not derived"):
        SignalEvent.model_validate_json(forged_trace)


def test_json_bytes_is_the_model_serialization_made_once_per_object():
    event = placed(make_event())
    first = event.json_bytes()
    assert first == event.model_dump_json().encode()
    assert event.json_bytes() is first, "the second call returns the memoized bytes"
    moved = event.model_copy(update={"ledger_sequence": 2})
    assert moved.json_bytes() == moved.model_dump_json().encode() != first, "a copy is serialized afresh"


@pytest.mark.parametrize("payload", [
    {}, {"severity": 3, "tag": "é😀\x00\"", "ok": True, "none": None},
    {"score": 1.5e16, "tiny": 5e-324, "deep": [{"x": -0.0}, [1, "two"]]}, {"big": 2**80},
])
def test_dumping_json_bytes_is_the_models_own_serialization(payload):
    event = SignalEvent.create(
        event_id="evt-dump", input_event={"n": 1}, ruleset_version="rules-1", category="weather",
        observed_at=EMITTED_AT - timedelta(microseconds=250_001), emitted_at=EMITTED_AT, payload=payload,
    )
    for shape in (event, placed(event, sequence=7)):
        assert shape.dump_json_bytes() == shape.model_dump_json().encode()


def test_record_payload_of_an_event_equals_the_models_own_serialization():
    for n in range(5):
        event = placed(make_event(n), sequence=n + 1)
        payload = LedgerRecord.payload_of(event)
        assert payload == LedgerRecord(event=event).to_payload()
        assert LedgerRecord.from_payload(payload).event == event


def test_record_payload_of_an_unplaced_event_is_refused():
    with pytest.raises(ValueError, match="must carry ledger_partition"):
        LedgerRecord.payload_of(make_event())


def test_the_json_memo_is_bounded():
    from omen import schema

    events = [placed(make_event(n)) for n in range(schema.EVENT_JSON_MEMO_MAX + 10)]
    for event in events:
        event.json_bytes()
    assert len(schema._event_json_memo) <= schema.EVENT_JSON_MEMO_MAX
    assert events[0].json_bytes() == events[0].model_dump_json().encode(), "an evicted event is serialized again"


def test_placing_an_event_is_the_models_own_copy_with_the_ledger_fields_updated():
    event = make_event(3)
    written_at = EMITTED_AT + timedelta(seconds=2)
    fast = event.with_ledger_metadata(partition="2026-03-01", sequence=9, written_at=written_at)
    reference = event.model_copy(
        update={"ledger_partition": "2026-03-01", "ledger_sequence": 9, "ledger_written_at": written_at})
    assert type(fast) is type(reference) is SignalEvent
    assert fast == reference and fast.__dict__ == reference.__dict__
    assert fast.model_fields_set == reference.model_fields_set
    assert fast.__pydantic_extra__ is reference.__pydantic_extra__ is None
    assert fast.__pydantic_private__ is reference.__pydantic_private__ is None
    assert fast.model_dump_json() == reference.model_dump_json()
    assert event.ledger_sequence is None, "the original event is left unplaced"
    with pytest.raises(ValidationError, match="frozen"):
        fast.ledger_sequence = 10  # the copy is as frozen as the model's own


def test_placing_an_event_makes_its_written_at_utc_and_refuses_a_naive_one():
    plus_two = timezone(timedelta(hours=2))
    event = placed(make_event(), sequence=1).with_ledger_metadata(
        partition="2026-03-01", sequence=2, written_at=EMITTED_AT.astimezone(plus_two))
    assert event.ledger_written_at == EMITTED_AT and event.ledger_written_at.tzinfo is timezone.utc
    with pytest.raises(ValueError, match="naive datetime refused"):
        make_event().with_ledger_metadata(partition="2026-03-01", sequence=1, written_at=datetime(2026, 3, 1))


@pytest.mark.parametrize("payload", [
    {"score": float("nan")}, {"score": float("inf")}, {"n": 1, "deep": [{"x": -float("inf")}]},
    {"tag": "a", "pair": (1.0, float("nan"))},
])
def test_the_finite_check_walks_every_payload_that_is_not_flat_scalars(payload):
    from omen.schema import _require_finite

    with pytest.raises(ValueError, match="NaN and Infinity are refused"):
        _require_finite(payload)


@pytest.mark.parametrize("payload", [
    {}, {"n": 1, "s": "x", "b": True, "none": None}, {"f": 1.5}, {"deep": [{"x": 2.0}]},
])
def test_the_finite_check_keeps_finite_payloads_as_they_are(payload):
    from omen.schema import _require_finite

    assert _require_finite(payload) is payload


def test_the_partition_of_a_utc_or_offset_timestamp_is_its_utc_date():
    from omen.schema import partition_for

    late_evening_utc = datetime(2026, 3, 1, 23, 30, tzinfo=timezone.utc)
    assert partition_for(late_evening_utc) == "2026-03-01"
    assert partition_for(late_evening_utc.astimezone(timezone(timedelta(hours=2)))) == "2026-03-01"
    assert partition_for(late_evening_utc.astimezone(timezone(timedelta(hours=-5)))) == "2026-03-01"


def test_partition_names_are_memoized_per_date_and_bounded():
    from omen import schema
    from omen.schema import partition_for

    days = [datetime(2026, 1, 1, 6, tzinfo=timezone.utc) + timedelta(days=n) for n in range(schema.PARTITION_NAMES_MAX + 5)]
    for day in days:
        assert partition_for(day) == day.date().isoformat()
        assert len(schema._partition_names) <= schema.PARTITION_NAMES_MAX
    assert partition_for(days[-1] + timedelta(hours=3)) is partition_for(days[-1]), "the same date, the same name"
