"""`json_bytes_validated_from`: the JSON of an event validated from bytes is those bytes only when
re-serializing it would give them back; otherwise it is the model's own serialization.

The fast path answers with the source bytes when they are the memoized JSON (`json_bytes`) of a
live event equal to the validated one, of exactly a placed event's field types, with its
timestamps in `timezone.utc`. Every answer is held to `dump_json_bytes()`, over events made by
validation and over events built without it (`model_construct`), whose JSON validation changes.
Mutants each spec catches: dropping the equality (a payload whose int and str keys collide), the
type check (a float sequence or schema version) or the time-zone check (an emitted_at in
another zone).
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from omen import SignalEvent
from omen import schema

# model_construct events make the serializer warn about the types it is handed
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")

BASE = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)

json_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=12),
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=8,
)
# What a Python caller may hand `create`: values the serializer writes as JSON of another type
python_values = st.one_of(
    json_values, st.tuples(st.integers(), st.text(max_size=4)), st.binary(max_size=6).map(lambda b: b.hex().encode()),
    st.just(BASE), st.frozensets(st.integers(0, 3), max_size=3),
)
zones = st.sampled_from([timezone.utc, timezone(timedelta(hours=2)), timezone(timedelta(hours=-5, minutes=-30))])
instants = st.integers(min_value=0, max_value=400 * 86_400 * 1_000_000).map(lambda us: BASE + timedelta(microseconds=us))


def validated(payload: dict, observed_at: datetime, emitted_at: datetime, written_at: datetime, n: int) -> SignalEvent:
    event = SignalEvent.create(
        event_id=f"evt-{n}", input_event={"n": n}, ruleset_version="rules-1", category="weather",
        observed_at=observed_at, emitted_at=emitted_at, payload=payload,
    )
    return event.with_ledger_metadata(partition=event.main_partition, sequence=n, written_at=written_at)


def answer_holds(earlier: SignalEvent) -> None:
    """Validate the earlier event's own bytes and a copy of them: both answers are the model's."""
    source = earlier.json_bytes()
    try:
        event = SignalEvent.__pydantic_validator__.validate_json(source)
    except ValidationError:
        return  # refused at ingest: nothing is stored
    expected = event.dump_json_bytes()
    assert event.json_bytes_validated_from(source) == expected
    assert event.json_bytes_validated_from(bytes(bytearray(source))) == expected  # a copy: serialized


@settings(max_examples=150, deadline=None)
@given(
    payload=st.dictionaries(st.text(max_size=8), python_values, max_size=4),
    observed=instants, emitted=instants, written=instants, zone=zones, n=st.integers(1, 10**6),
)
def test_a_validated_events_json_is_the_models_own(payload, observed, emitted, written, zone, n):
    answer_holds(validated(payload, observed.astimezone(zone), emitted, written.astimezone(zone), n))


@settings(max_examples=150, deadline=None)
@given(
    payload=st.dictionaries(st.one_of(st.text(max_size=3), st.integers(0, 3), st.booleans()), json_values, max_size=4),
    emitted_zone=zones, written_zone=zones,
    sequence=st.one_of(st.integers(1, 10**6), st.just(True), st.just(2.0)),
    schema_version=st.sampled_from([1, True, 1.0]),
)
def test_an_unvalidated_events_json_is_the_models_own(payload, emitted_zone, written_zone, sequence, schema_version):
    """Built by `model_construct`: colliding keys, another zone, a bool or float where an int goes."""
    model = validated({}, BASE, BASE, BASE, 1)
    fields = dict(model.__dict__) | {
        "payload": payload, "emitted_at": BASE.astimezone(emitted_zone),
        "ledger_written_at": BASE.astimezone(written_zone), "ledger_sequence": sequence,
        "schema_version": schema_version,
    }
    answer_holds(SignalEvent.model_construct(**fields))


def test_the_pushed_bytes_themselves_are_the_answer_when_nothing_would_change():
    earlier = validated({"severity": 3, "deep": [1.5, None]}, BASE, BASE, BASE + timedelta(seconds=1), 7)
    source = earlier.json_bytes()
    event = SignalEvent.__pydantic_validator__.validate_json(source)
    assert event.json_bytes_validated_from(source) is source


def test_each_check_turns_the_fast_path_off():
    """Each of these changes under validation; the answer is serialized, not the source."""
    model = validated({}, BASE, BASE, BASE, 1)
    cases = [
        {"payload": {1: "a", "1": "b"}},  # the equality: the keys collide once read back
        {"ledger_sequence": 2.0},  # the types: written "2.0", read back as 2
        {"schema_version": 1.0},
        {"emitted_at": BASE.astimezone(timezone(timedelta(hours=2)))},  # the zone: read back in UTC
        {"observed_at": BASE.astimezone(timezone(timedelta(hours=-3)))},
        {"ledger_written_at": BASE.astimezone(timezone(timedelta(minutes=30)))},
    ]
    for update in cases:
        earlier = SignalEvent.model_construct(**(dict(model.__dict__) | update))
        source = earlier.json_bytes()
        event = SignalEvent.__pydantic_validator__.validate_json(source)
        answer = event.json_bytes_validated_from(source)
        assert answer is not source and answer == event.dump_json_bytes() != source, update


def test_the_reverse_memo_is_bounded_and_an_evicted_entry_is_serialized_again():
    events = [validated({}, BASE, BASE, BASE, n) for n in range(1, schema.EVENT_JSON_MEMO_MAX + 20)]
    sources = [event.json_bytes() for event in events]
    assert len(schema._json_event_memo) <= schema.EVENT_JSON_MEMO_MAX and len(schema._event_json_memo) <= schema.EVENT_JSON_MEMO_MAX
    first = SignalEvent.__pydantic_validator__.validate_json(sources[0])
    answer = first.json_bytes_validated_from(sources[0])
    assert answer == sources[0] and answer is not sources[0], "an evicted entry is serialized again"


def test_a_vouched_events_json_bytes_are_the_source_and_an_unvouched_ones_are_serialized():
    earlier = validated({"severity": 1}, BASE, BASE, BASE, 11)
    source = earlier.json_bytes()
    event = SignalEvent.__pydantic_validator__.validate_json(source)
    event.remember_json_of_source(source)
    assert event.json_bytes() is source
    changed = SignalEvent.model_construct(**(dict(earlier.__dict__) | {"ledger_sequence": 2.0}))
    other = SignalEvent.__pydantic_validator__.validate_json(changed.json_bytes())
    other.remember_json_of_source(changed.json_bytes())
    assert other.json_bytes() == other.dump_json_bytes() != changed.json_bytes()
    assert event.json_bytes() is source, "the slot was not replaced by the event it did not vouch for"
