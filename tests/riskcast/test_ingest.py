"""IngestHandler: bytes in, status and JSON out; bad input stores nothing."""
from __future__ import annotations

import asyncio
import json

from riskcast import IngestHandler, InlineSqlRunner, SignalStore


def new_handler(clock, ack_ids, body_max_bytes: int = 1_048_576) -> tuple[IngestHandler, SignalStore]:
    store = SignalStore(InlineSqlRunner.in_memory(), clock=clock, ack_ids=ack_ids)
    return IngestHandler(store, body_max_bytes=body_max_bytes), store


def handle(handler: IngestHandler, store: SignalStore, body: bytes):
    async def scenario():
        return await handler.handle(body), await store.count()

    return asyncio.run(scenario())


def test_a_new_signal_is_answered_200_with_its_ack_id_after_it_is_stored(clock, ack_ids, make_signal) -> None:
    handler, store = new_handler(clock, ack_ids)
    event = make_signal(1)
    (status, answer), count = handle(handler, store, event.model_dump_json().encode())
    assert status == 200
    assert answer == {"status": "accepted", "signal_id": event.signal_id, "ack_id": "ack-000001"}
    assert count == 1


def test_a_duplicate_is_answered_409_with_the_original_ack_id(clock, ack_ids, make_signal) -> None:
    handler, store = new_handler(clock, ack_ids)
    body = make_signal(1).model_dump_json().encode()

    async def scenario():
        return await handler.handle(body), await handler.handle(body)

    (first_status, first), (second_status, second) = asyncio.run(scenario())
    assert (first_status, second_status) == (200, 409)
    assert second == {"status": "duplicate", "signal_id": first["signal_id"], "ack_id": first["ack_id"]}


def test_malformed_json_is_422_and_stores_nothing(clock, ack_ids) -> None:
    handler, store = new_handler(clock, ack_ids)
    (status, answer), count = handle(handler, store, b'{"signal_id": ')
    assert status == 422 and answer["status"] == "invalid"
    assert answer["errors"][0]["type"] == "json_invalid"
    assert count == 0


def test_a_missing_field_is_422_naming_the_field_and_stores_nothing(clock, ack_ids, make_signal) -> None:
    handler, store = new_handler(clock, ack_ids)
    document = json.loads(make_signal(1).model_dump_json())
    del document["category"]
    (status, answer), count = handle(handler, store, json.dumps(document).encode())
    assert status == 422
    assert ["category"] in [error["loc"] for error in answer["errors"]]
    assert count == 0


def test_a_naive_datetime_is_422_and_stores_nothing(clock, ack_ids, make_signal) -> None:
    handler, store = new_handler(clock, ack_ids)
    document = json.loads(make_signal(1).model_dump_json())
    document["emitted_at"] = "2024-03-01T12:00:00"
    (status, answer), count = handle(handler, store, json.dumps(document).encode())
    assert status == 422
    assert any("naive datetime" in error["msg"] for error in answer["errors"])
    assert count == 0


def test_a_signal_without_ledger_placement_is_422_and_stores_nothing(clock, ack_ids, make_signal) -> None:
    handler, store = new_handler(clock, ack_ids)
    (status, answer), count = handle(handler, store, make_signal(1, partition=None).model_dump_json().encode())
    assert status == 422
    assert {tuple(error["loc"]) for error in answer["errors"]} == {("ledger_partition",), ("ledger_sequence",)}
    assert count == 0


def test_a_partition_that_is_not_the_utc_date_of_emitted_at_is_422(clock, ack_ids, make_signal) -> None:
    handler, store = new_handler(clock, ack_ids)
    (status, answer), count = handle(handler, store, make_signal(1, partition="2024-02-29").model_dump_json().encode())
    assert status == 422 and answer["errors"][0]["type"] == "partition_mismatch"
    assert count == 0


def test_a_late_partition_of_the_same_date_is_accepted(clock, ack_ids, make_signal) -> None:
    handler, store = new_handler(clock, ack_ids)
    (status, _), count = handle(handler, store, make_signal(1, partition="2024-03-01-late").model_dump_json().encode())
    assert status == 200 and count == 1


def test_an_oversized_body_is_413_and_stores_nothing(clock, ack_ids, make_signal) -> None:
    body = make_signal(1).model_dump_json().encode()
    handler, store = new_handler(clock, ack_ids, body_max_bytes=len(body) - 1)
    (status, answer), count = handle(handler, store, body)
    assert status == 413 and answer["body_max_bytes"] == len(body) - 1
    assert count == 0


def test_a_body_exactly_at_the_limit_is_accepted(clock, ack_ids, make_signal) -> None:
    body = make_signal(1).model_dump_json().encode()
    handler, store = new_handler(clock, ack_ids, body_max_bytes=len(body))
    (status, _), count = handle(handler, store, body)
    assert status == 200 and count == 1


def test_invalid_utf8_is_422_and_stores_nothing(clock, ack_ids) -> None:
    handler, store = new_handler(clock, ack_ids)
    (status, _), count = handle(handler, store, b"\xff\xfe{}")
    assert status == 422 and count == 0
