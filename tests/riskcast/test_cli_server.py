"""The audit's concurrent dedupe test against the server the console command starts, on loopback."""
from __future__ import annotations

import asyncio
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path

import httpx
import pytest

READY_ATTEMPTS_MAX = 200
READY_PAUSE_S = 0.05


def free_port() -> int:
    with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def riskcast_command() -> list[str]:
    script = Path(sys.executable).with_name("riskcast")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "import sys; from riskcast.cli import main; sys.exit(main())"]


def wait_until_ready(base_url: str, server: subprocess.Popen) -> None:
    for _ in range(READY_ATTEMPTS_MAX):
        if server.poll() is not None:
            raise AssertionError(f"riskcast serve exited early with {server.returncode}: {server.stderr.read()!r}")
        try:
            if httpx.get(base_url + "/healthz", timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(READY_PAUSE_S)
    raise AssertionError(f"riskcast serve not ready after {READY_ATTEMPTS_MAX * READY_PAUSE_S:.0f}s")


@pytest.fixture
def server(tmp_path):
    port = free_port()
    db_path = tmp_path / "riskcast.db"
    env = dict(os.environ)
    root = Path(__file__).resolve().parents[2]
    env["PYTHONPATH"] = os.pathsep.join([str(root / "system"), env.get("PYTHONPATH", "")])
    process = subprocess.Popen(
        [*riskcast_command(), "serve", "--db", str(db_path), "--ledger", str(tmp_path / "ledger"),
         "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env,
    )
    try:
        base_url = f"http://127.0.0.1:{port}"
        wait_until_ready(base_url, process)
        yield base_url, db_path
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        process.stderr.close()


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
