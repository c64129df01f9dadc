"""The audit's concurrent dedupe test against the server the console command starts, on loopback."""
from __future__ import annotations

import asyncio
import sqlite3
import subprocess
from contextlib import closing

import httpx
import pytest

from tests.riskcast.served import riskcast_command, start_served


@pytest.fixture
def server(tmp_path):
    served = start_served(tmp_path)
    try:
        yield served.base_url, served.db_path
    finally:
        served.stop()


def test_twenty_concurrent_posts_to_the_served_app_give_one_200_nineteen_409s_and_one_row(
    server, make_signal
) -> None:
    base_url, db_path = server
    body = make_signal(1).model_dump_json().encode()

    async def scenario():
        async with httpx.AsyncClient(base_url=base_url, timeout=10.0) as client:
            return await asyncio.gather(
                *(client.post("/api/v1/signals/ingest", content=body) for _ in range(20))
            )

    responses = asyncio.run(scenario())
    assert sorted(r.status_code for r in responses) == [200] + [409] * 19
    winner = next(r.json()["ack_id"] for r in responses if r.status_code == 200)
    assert {r.json()["ack_id"] for r in responses} == {winner}
    with closing(sqlite3.connect(db_path)) as conn:
        assert conn.execute("SELECT COUNT(*), MIN(ack_id) FROM signals").fetchone() == (1, winner)


def test_bad_usage_exits_2() -> None:
    completed = subprocess.run([*riskcast_command(), "serve", "--db", "x.db"], capture_output=True, timeout=30)
    assert completed.returncode == 2
    assert b"--ledger" in completed.stderr
