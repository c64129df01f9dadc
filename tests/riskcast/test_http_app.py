"""The real HTTP app in-process (httpx ASGITransport) over a real SQLite file in WAL mode."""
from __future__ import annotations

import asyncio
import json
import sqlite3
from contextlib import closing

import httpx
import pytest

from omen import FixedClock, LedgerWriter
from riskcast.app import INGEST_PATH, build_service, create_app


@pytest.fixture
def service(tmp_path):
    built = build_service(db_path=str(tmp_path / "riskcast.db"), ledger_root=str(tmp_path / "ledger"),
                          body_max_bytes=4096)
    yield built
    built.close()


def client_for(service) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(service)), base_url="http://riskcast")


def rows(db_path) -> int:
    with closing(sqlite3.connect(db_path)) as conn:
        return conn.execute("SELECT COUNT(*) FROM signals").fetchone()[0]


def test_the_database_file_runs_in_wal_mode_with_full_sync_and_a_busy_timeout(service) -> None:
    assert service.runner.pragma("journal_mode") == "wal"
    assert service.runner.pragma("synchronous") == 2  # FULL
    assert service.runner.pragma("busy_timeout") == 5000


def test_twenty_concurrent_posts_of_one_signal_give_one_200_and_nineteen_409s_with_its_ack_id(
    service, tmp_path, make_signal
) -> None:
    body = make_signal(1).model_dump_json().encode()

    async def scenario():
        async with client_for(service) as client:
            return await asyncio.gather(*(client.post(INGEST_PATH, content=body) for _ in range(20)))

    responses = asyncio.run(scenario())
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] + [409] * 19
    winner = next(r.json() for r in responses if r.status_code == 200)
    assert all(r.json()["ack_id"] == winner["ack_id"] for r in responses if r.status_code == 409)
    assert rows(tmp_path / "riskcast.db") == 1


@pytest.mark.parametrize(
    "case",
    ["malformed_json", "missing_field", "naive_datetime", "oversized_body", "oversized_chunked_body"],
)
def test_bad_ingest_bodies_get_a_4xx_and_store_no_row(service, tmp_path, make_signal, case) -> None:
    document = json.loads(make_signal(1).model_dump_json())
    if case == "malformed_json":
        body = b'{"signal_id": "OMEN-'
    elif case == "missing_field":
        del document["signal_id"]
        body = json.dumps(document).encode()
    elif case == "naive_datetime":
        document["observed_at"] = "2024-03-01T11:59:59"
        body = json.dumps(document).encode()
    else:
        document["payload"] = {"blob": "x" * 5000}
        body = json.dumps(document).encode()

    async def chunks():  # no content-length: the limit must hold while streaming
        for start in range(0, len(body), 1000):
            yield body[start:start + 1000]

    async def scenario():
        async with client_for(service) as client:
            content = chunks() if case == "oversized_chunked_body" else body
            return await client.post(INGEST_PATH, content=content)

    response = asyncio.run(scenario())
    assert response.status_code == (413 if case.startswith("oversized") else 422)
    assert response.json()["errors"]
    assert rows(tmp_path / "riskcast.db") == 0


def test_reconcile_endpoints_replay_report_and_keep_history(service, tmp_path, make_signal) -> None:
    writer = LedgerWriter(str(tmp_path / "ledger"), clock=FixedClock(make_signal(1).emitted_at))
    for n in (1, 2):
        writer.write(make_signal(n, partition=None))
    writer.seal_partition("2024-03-01")
    writer.close()

    async def scenario():
        async with client_for(service) as client:
            run = await client.post("/reconcile/run")
            status = await client.get("/reconcile/status/2024-03-01")
            bad = await client.get("/reconcile/status/not-a-date")
            history = await client.get("/reconcile/history", params={"limit": 5})
            bad_limit = await client.get("/reconcile/history", params={"limit": 0})
            return run, status, bad, history, bad_limit

    run, status, bad, history, bad_limit = asyncio.run(scenario())
    assert run.status_code == 200
    [result] = run.json()["results"]
    assert (result["status"], len(result["replayed_ids"]), result["critical"]) == ("reconciled", 2, False)
    assert status.json()["state"]["ledger_highwater"] == 2
    assert (status.json()["needs_reconcile"], status.json()["reason"]) == (False, "up_to_date")
    assert bad.status_code == 422
    assert [h["status"] for h in history.json()["history"]] == ["reconciled"]
    assert bad_limit.status_code == 422
    assert rows(tmp_path / "riskcast.db") == 2
