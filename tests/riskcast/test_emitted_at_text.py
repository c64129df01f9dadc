"""The stored emitted_at text cut from the row's event JSON is `iso_text(event.emitted_at)`.

Held over events whose payloads carry decoy "emitted_at" keys (nested, with timestamp-like
strings), with and without ledger placement, over the whole datetime range and with ledger
fields long enough to push the key out of the searched tail (then formatted instead).
Mutants caught: the first occurrence instead of the last (`find` for `rfind`), the "Z" kept.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from omen import SignalEvent
from riskcast.timestamp_text import EMITTED_AT_TAIL_CHARS_MAX, emitted_at_text, iso_text

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")  # model_construct's odd partitions

stamps = st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=st.just(timezone.utc))
decoys = st.one_of(
    st.text(max_size=8), stamps.map(lambda t: t.isoformat()), stamps.map(lambda t: t.isoformat()[:-6] + "Z"),
    st.just('","emitted_at":"1999-01-01T00:00:00Z'),
)
payloads = st.recursive(
    st.dictionaries(st.sampled_from(["emitted_at", "x", "observed_at"]), decoys, max_size=3),
    lambda inner: st.dictionaries(st.sampled_from(["emitted_at", "deep"]), inner, max_size=2),
    max_leaves=6,
)


def event_of(payload: dict, emitted_at: datetime, placed: bool, partition_chars: int) -> SignalEvent:
    event = SignalEvent.create(
        event_id="evt-1", input_event={"n": 1}, ruleset_version="rules-1", category="risk",
        observed_at=emitted_at, emitted_at=emitted_at, payload=payload,
    )
    if not placed:
        return event
    placed_event = event.with_ledger_metadata(partition=event.main_partition, sequence=3, written_at=emitted_at)
    if partition_chars:  # not a placement ingest accepts; the store is handed it all the same
        return SignalEvent.model_construct(**(dict(placed_event.__dict__) | {"ledger_partition": "p" * partition_chars}))
    return placed_event


@settings(max_examples=200, deadline=None)
@given(payload=payloads, emitted_at=stamps, placed=st.booleans(),
       partition_chars=st.sampled_from([0, 0, 0, EMITTED_AT_TAIL_CHARS_MAX // 2, EMITTED_AT_TAIL_CHARS_MAX]))
def test_the_cut_text_is_the_formatted_text(payload, emitted_at, placed, partition_chars):
    event = event_of(payload, emitted_at, placed, partition_chars)
    event_json = event.dump_json_bytes().decode()
    assert emitted_at_text(event.emitted_at, event_json) == iso_text(event.emitted_at) == event.emitted_at.isoformat()


def test_a_json_shorter_than_the_tail_is_searched_less_and_formatted_at_worst():
    stamp = datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=timezone.utc)
    short = '{"emitted_at":"2026-01-02T03:04:05.000006Z"}'
    assert len(short) < EMITTED_AT_TAIL_CHARS_MAX
    assert emitted_at_text(stamp, short) == iso_text(stamp) == emitted_at_text(stamp, "")


def test_a_timestamp_in_another_zone_is_formatted():
    event = SignalEvent.model_construct(
        **(dict(event_of({}, datetime(2026, 1, 2, tzinfo=timezone.utc), True, 0).__dict__)
           | {"emitted_at": datetime(2026, 1, 2, 1, tzinfo=timezone(timedelta(hours=1)))}))
    assert emitted_at_text(event.emitted_at, event.dump_json_bytes().decode()) == "2026-01-02T01:00:00+01:00"
