"""The JSON memos hand a serialization to its one later reader, then let the event go.

`json_bytes` memoizes what it serialized until the next call for the same event (the writer
frames the bytes, the emitter's push takes them); `json_bytes_validated_from` finds the bytes'
event once (ingest of that push). Each entry leaves at its hit, so a stream of signals leaves
nothing behind for the garbage collector to traverse. Every answer is held to the model's own
serialization (`dump_json_bytes`), whatever the order of the calls. Mutants each spec catches:
`get` for either `pop` (the stream leaves entries behind), dropping the eviction of either memo
(the bound), evicting the newest entry instead of the oldest, a vouching check that serializes
the event on a miss (a body from elsewhere then costs two serializations).
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from omen import SignalEvent
from omen import schema

BASE = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)


def placed_event(n: int) -> SignalEvent:
    event = SignalEvent.create(
        event_id=f"evt-{n}", input_event={"n": n}, ruleset_version="rules-1", category="weather",
        observed_at=BASE, emitted_at=BASE + timedelta(seconds=n), payload={"severity": n % 5},
    )
    return event.with_ledger_metadata(partition=event.main_partition, sequence=n + 1, written_at=BASE)


def clear_memos() -> None:
    schema._event_json_memo.clear()
    schema._json_event_memo.clear()


def test_the_second_call_gets_the_first_calls_bytes_and_the_third_serializes_again():
    clear_memos()
    event = placed_event(1)
    framed = event.json_bytes()
    assert event.json_bytes() is framed, "the push takes the bytes the writer framed"
    again = event.json_bytes()
    assert again == framed == event.dump_json_bytes() and again is not framed


def test_a_stream_of_write_push_ingest_leaves_both_memos_empty():
    clear_memos()
    for n in range(300):
        event = placed_event(n)
        framed = event.json_bytes()  # the writer
        body = event.json_bytes()  # the emitter's push
        assert body is framed
        validated = SignalEvent.__pydantic_validator__.validate_json(body)  # ingest
        assert validated.json_bytes_validated_from(body) is body
    assert not schema._event_json_memo and not schema._json_event_memo, "every entry left at its hit"


def test_a_second_ingest_of_the_same_body_is_serialized_again_with_the_same_bytes():
    clear_memos()
    event = placed_event(2)
    body = event.json_bytes()
    validated = SignalEvent.__pydantic_validator__.validate_json(body)
    assert validated.json_bytes_validated_from(body) is body
    retried = SignalEvent.__pydantic_validator__.validate_json(body)
    answer = retried.json_bytes_validated_from(body)
    assert answer == body and answer is not body


def test_both_memos_are_bounded_and_an_evicted_entry_is_serialized_again():
    clear_memos()
    events = [placed_event(n) for n in range(schema.EVENT_JSON_MEMO_MAX + 10)]
    sources = [event.json_bytes() for event in events]  # pushes and ingests that never came
    assert len(schema._event_json_memo) == schema.EVENT_JSON_MEMO_MAX
    assert len(schema._json_event_memo) == schema.EVENT_JSON_MEMO_MAX
    first = events[0].json_bytes()
    assert first == sources[0] and first is not sources[0], "the oldest entry was evicted"
    assert events[-1].json_bytes() is sources[-1], "the newest entry is still held"
    validated = SignalEvent.__pydantic_validator__.validate_json(sources[1])
    answer = validated.json_bytes_validated_from(sources[1])
    assert answer == sources[1] and answer is not sources[1], "the reverse memo evicted it too"


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["json", "ingest"]), st.integers(0, 5)), max_size=40),
       st.integers(1, 8))
def test_any_order_of_calls_answers_the_models_serialization(calls, memo_max):
    """Calls in any order, on a memo of any size: each answer is the model's bytes, and a source
    is answered as itself only for the event whose json_bytes made it."""
    clear_memos()
    saved = schema.EVENT_JSON_MEMO_MAX
    schema.EVENT_JSON_MEMO_MAX = memo_max
    try:
        events = [placed_event(n) for n in range(6)]
        made: dict[int, list[bytes]] = {n: [] for n in range(6)}
        for kind, n in calls:
            event = events[n]
            if kind == "json":
                data = event.json_bytes()
                assert data == event.dump_json_bytes()
                made[n].append(data)
            elif made[n]:
                source = made[n][-1]
                validated = SignalEvent.__pydantic_validator__.validate_json(source)
                answer = validated.json_bytes_validated_from(source)
                assert answer == validated.dump_json_bytes() == source
            assert len(schema._event_json_memo) <= memo_max and len(schema._json_event_memo) <= memo_max
    finally:
        schema.EVENT_JSON_MEMO_MAX = saved
        clear_memos()


class _CountingSerializer:
    """Stands in for the model's serializer: counts the events it serializes."""

    def __init__(self, serializer) -> None:
        self.serializer = serializer
        self.calls = 0

    def to_json(self, value, **options):
        self.calls += 1
        return self.serializer.to_json(value, **options)


def test_ingest_of_a_body_from_elsewhere_serializes_the_event_once(monkeypatch):
    """remember_json_of_source on a body no live event made (a replay, a retried push, HTTP)
    vouches for nothing and serializes nothing: the store's json_bytes serializes it, once."""
    clear_memos()
    body = placed_event(3).dump_json_bytes()  # not the memoized bytes of any event
    counting = _CountingSerializer(SignalEvent.__pydantic_serializer__)
    validated = SignalEvent.__pydantic_validator__.validate_json(body)
    monkeypatch.setattr(SignalEvent, "__pydantic_serializer__", counting)
    validated.remember_json_of_source(body)
    assert counting.calls == 0, "the check serialized the event"
    stored = validated.json_bytes()
    assert counting.calls == 1 and stored == body and stored is not body


def test_ingest_of_the_pushed_bytes_vouches_for_them_without_serializing(monkeypatch):
    clear_memos()
    body = placed_event(4).json_bytes()
    validated = SignalEvent.__pydantic_validator__.validate_json(body)
    counting = _CountingSerializer(SignalEvent.__pydantic_serializer__)
    monkeypatch.setattr(SignalEvent, "__pydantic_serializer__", counting)
    validated.remember_json_of_source(body)
    assert validated.json_bytes() is body and counting.calls == 0
