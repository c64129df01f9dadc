"""The served API refuses what it cannot keep exactly, naming the field, and stores nothing.

Out-of-range values (an instant before year 1 once in UTC, a sequence beyond SQLite's INTEGER),
NaN and Infinity (JSON cannot carry them: they would come back as null) and partition names that
only look right (a trailing newline, a date that does not exist) all end as a 422.
"""
from __future__ import annotations

import asyncio
import json
import sqlite3
from contextlib import closing
from urllib.parse import quote

import httpx
import pytest
from pydantic import ValidationError

from omen import LedgerRecord, SignalEvent
from omen.schema import LEDGER_SEQUENCE_MAX
from riskcast.app import INGEST_PATH, build_service, create_app
from riskcast.partition_names import BadPartitionName, require_partition_name


@pytest.fixture
def service(tmp_path):
    built = build_service(db_path=str(tmp_path / "riskcast.db"), ledger_root=str(tmp_path / "ledger"))
    yield built
    built.close()


def post(service, body: bytes) -> httpx.Response:
    async def scenario() -> httpx.Response:
        transport = httpx.ASGITransport(app=create_app(service))
        async with httpx.AsyncClient(transport=transport, base_url="http://riskcast") as client:
            return await client.post(INGEST_PATH, content=body)

    return asyncio.run(scenario())


def get(service, path: str, **params: str) -> httpx.Response:
    async def scenario() -> httpx.Response:
        transport = httpx.ASGITransport(app=create_app(service))
        async with httpx.AsyncClient(transport=transport, base_url="http://riskcast") as client:
            if path == "/reconcile/run":
                return await client.post(path, params=params)
            return await client.get(path, params=params)

    return asyncio.run(scenario())


def stored_rows(tmp_path) -> list[tuple]:
    with closing(sqlite3.connect(tmp_path / "riskcast.db")) as conn:
        return conn.execute("SELECT signal_id, ledger_sequence, event_json FROM signals").fetchall()


def error_fields(response: httpx.Response) -> set[str]:
    return {str(error["loc"][0]) for error in response.json()["errors"]}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("emitted_at", "0001-01-01T00:30:00+01:00"),  # UTC conversion overflows below year 1
        ("observed_at", "9999-12-31T23:30:00-01:00"),  # and above year 9999
        ("ledger_written_at", "0001-01-01T00:00:00+00:01"),
        ("ledger_sequence", 2**63),  # one past SQLite's INTEGER range
        ("ledger_sequence", 10**30),
    ],
)
def test_an_out_of_range_value_is_a_422_naming_its_field_and_stores_nothing(
    service, tmp_path, make_signal, field, value
) -> None:
    document = json.loads(make_signal(1).model_dump_json())
    document[field] = value
    response = post(service, json.dumps(document).encode())
    assert response.status_code == 422, response.text
    assert error_fields(response) == {field}
    assert stored_rows(tmp_path) == []


def test_the_largest_sequence_sqlite_holds_is_stored_and_read_back_exactly(service, tmp_path, make_signal) -> None:
    event = make_signal(1, sequence=LEDGER_SEQUENCE_MAX)
    response = post(service, event.model_dump_json().encode())
    assert response.status_code == 200, response.text
    [(signal_id, sequence, event_json)] = stored_rows(tmp_path)
    assert (signal_id, sequence) == (event.signal_id, 2**63 - 1)
    assert SignalEvent.model_validate_json(event_json) == event


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
@pytest.mark.parametrize("where", ["top", "nested_list", "nested_object"])
def test_nan_and_infinity_anywhere_in_a_payload_are_refused_not_stored_as_null(
    service, tmp_path, make_signal, literal, where
) -> None:
    body = make_signal(1).model_dump_json()
    value = {"top": literal, "nested_list": f"[1, 2.5, {literal}]",
             "nested_object": f'{{"a": {{"b": [{literal}]}}}}'}[where]
    body = body.replace('"payload":{"score":1}', f'"payload":{{"score":1,"x":{value}}}')
    assert literal in body
    response = post(service, body.encode())
    assert response.status_code == 422, response.text
    assert error_fields(response) == {"payload"}
    assert stored_rows(tmp_path) == []


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), float("-inf")])
def test_the_schema_refuses_non_finite_numbers_before_anything_reaches_the_ledger(make_signal, bad) -> None:
    base = make_signal(1)
    with pytest.raises(ValidationError, match="NaN and Infinity are refused"):
        SignalEvent.create(event_id="evt-x", input_event={"n": 1}, ruleset_version="r1", category="risk",
                           observed_at=base.observed_at, emitted_at=base.emitted_at, payload={"v": [1.0, bad]})
    frame_payload = LedgerRecord(event=base).to_payload().replace(b'"score":1', b'"score":NaN')
    with pytest.raises(ValidationError, match="NaN and Infinity are refused"):
        LedgerRecord.from_payload(frame_payload)


def test_finite_floats_are_kept_exactly(service, tmp_path, make_signal) -> None:
    base = make_signal(1)
    event = SignalEvent.create(event_id="evt-f", input_event={"n": 1}, ruleset_version="r1", category="risk",
                               observed_at=base.observed_at, emitted_at=base.emitted_at,
                               payload={"tiny": 5e-324, "huge": 1.7976931348623157e308, "third": 1 / 3})
    event = event.with_ledger_metadata(partition="2024-03-01", sequence=7, written_at=base.emitted_at)
    assert post(service, event.model_dump_json().encode()).status_code == 200
    [(_, _, event_json)] = stored_rows(tmp_path)
    assert SignalEvent.model_validate_json(event_json).payload == event.payload


@pytest.mark.parametrize(
    "name",
    ["2026-03-01\n", "2026-03-01-late\n", "\n2026-03-01", "2026-03-01 ", "2026-02-30", "2026-13-01",
     "２０２６-03-01", "2026-03-01-LATE", "../2026-03-01", "2026-03-01/..", "x" * 100],
)
def test_every_reconcile_endpoint_refuses_a_name_that_is_not_exactly_a_partition(service, name) -> None:
    with pytest.raises(BadPartitionName):
        require_partition_name(name)
    answers = {
        "status": get(service, "/reconcile/status/" + quote(name, safe="/")),
        "run": get(service, "/reconcile/run", partition=name),
        "history": get(service, "/reconcile/history", partition=name),
    }
    for endpoint, response in answers.items():
        if endpoint == "status" and response.status_code == 404:
            continue  # a name with a '/' never reaches the route at all: refused by routing
        assert response.status_code == 422, (endpoint, response.status_code, response.text)
        assert response.json()["errors"][0]["type"] == "bad_partition", endpoint


def test_the_status_route_refuses_a_percent_encoded_trailing_newline(service) -> None:
    async def scenario() -> httpx.Response:
        transport = httpx.ASGITransport(app=create_app(service))
        async with httpx.AsyncClient(transport=transport, base_url="http://riskcast") as client:
            return await client.get("/reconcile/status/2026-03-01%0A")

    response = asyncio.run(scenario())
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["type"] == "bad_partition"


@pytest.mark.parametrize("name", ["2026-03-01", "2026-03-01-late", "2024-02-29"])
def test_real_partition_names_are_answered(service, name) -> None:
    assert require_partition_name(name) == name
    response = get(service, f"/reconcile/status/{name}")
    assert response.status_code == 200, response.text
    assert response.json()["partition"] == name
    assert get(service, "/reconcile/run", partition=name).status_code == 200
    assert get(service, "/reconcile/history", partition=name).status_code == 200


def test_the_ledger_writer_refuses_a_non_finite_payload_that_skipped_validation(tmp_path, make_signal) -> None:
    from omen import FixedClock, LedgerWriter

    smuggled = make_signal(1).model_copy(update={"payload": {"v": float("nan")}})  # model_copy skips validation
    with LedgerWriter(str(tmp_path / "ledger"), clock=FixedClock(smuggled.emitted_at)) as writer:
        with pytest.raises(ValueError, match="NaN and Infinity are refused"):
            writer.write(smuggled)
