"""A `riskcast serve` process on loopback and a concurrent ingest load against it over real HTTP.

WHY a module of its own: the throughput benchmark and the kill -9 test drive the same server the
same way (many clients, a fixed mix of new signals and duplicates), so both measure one thing.
The load is built from a seeded `random.Random`: two runs post the same bodies in the same order.
"""
from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx

from omen import SignalEvent

INGEST_PATH = "/api/v1/signals/ingest"
READY_ATTEMPTS_MAX = 400
READY_PAUSE_S = 0.05
CLIENTS_MAX = 1_000
DAY = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)


def free_port() -> int:
    with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def riskcast_command() -> list[str]:
    script = Path(sys.executable).with_name("riskcast")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "import sys; from riskcast.cli import main; sys.exit(main())"]


@dataclass
class ServedRiskCast:
    process: subprocess.Popen
    base_url: str
    db_path: Path

    def kill_hard(self) -> None:
        """kill -9: no shutdown hook, no flush, exactly a crash of the process."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=15)
        if self.process.stderr is not None:
            self.process.stderr.close()


def start_served(tmp_path: Path, *extra_args: str) -> ServedRiskCast:
    """Start `riskcast serve` on a free loopback port and wait until /healthz answers."""
    port = free_port()
    db_path = tmp_path / "riskcast.db"
    env = dict(os.environ)
    root = Path(__file__).resolve().parents[2]
    env["PYTHONPATH"] = os.pathsep.join([str(root / "system"), env.get("PYTHONPATH", "")])
    process = subprocess.Popen(
        [*riskcast_command(), "serve", "--db", str(db_path), "--ledger", str(tmp_path / "ledger"),
         "--host", "127.0.0.1", "--port", str(port), *extra_args],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env,
    )
    served = ServedRiskCast(process, f"http://127.0.0.1:{port}", db_path)
    for _ in range(READY_ATTEMPTS_MAX):
        if process.poll() is not None:
            raise AssertionError(f"riskcast serve exited early with {process.returncode}: {process.stderr.read()!r}")
        try:
            if httpx.get(served.base_url + "/healthz", timeout=1.0).status_code == 200:
                return served
        except httpx.TransportError:
            pass
        time.sleep(READY_PAUSE_S)
    served.stop()
    raise AssertionError(f"riskcast serve not ready after {READY_ATTEMPTS_MAX * READY_PAUSE_S:.0f}s")


def load_bodies(requests: int, *, duplicate_fraction: float, seed: int) -> list[tuple[str, bytes]]:
    """(signal_id, body) per request: new signals, and `duplicate_fraction` re-posts of earlier ones."""
    assert requests >= 1 and 0.0 <= duplicate_fraction < 1.0, (requests, duplicate_fraction)
    rng = random.Random(seed)
    unique = requests - round(requests * duplicate_fraction)
    bodies: list[tuple[str, bytes]] = []
    for number in range(unique):
        event = SignalEvent.create(
            event_id=f"load-{seed}-{number}", input_event={"n": number, "seed": seed}, ruleset_version="r1",
            category="load", observed_at=DAY - timedelta(seconds=1), emitted_at=DAY,
            payload={"n": number, "score": number % 7},
        ).with_ledger_metadata(partition=DAY.date().isoformat(), sequence=number + 1, written_at=DAY)
        bodies.append((event.signal_id, event.model_dump_json().encode()))
    duplicates = [bodies[rng.randrange(unique)] for _ in range(requests - unique)]
    mixed = bodies + duplicates
    rng.shuffle(mixed)
    return mixed


@dataclass(frozen=True)
class Answer:
    signal_id: str
    status: int | None  # None: no answer (the connection failed or the server died)
    ack_id: str | None
    latency_s: float


RESPONSE_HEAD_BYTES_MAX = 16 * 1024
RESPONSE_BODY_BYTES_MAX = 1024 * 1024


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    """One HTTP/1.1 response with a Content-Length body (all the server sends for ingest)."""
    head = await reader.readuntil(b"\r\n\r\n")
    assert len(head) <= RESPONSE_HEAD_BYTES_MAX, len(head)
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length":
            length = int(value.strip())
    assert 0 <= length <= RESPONSE_BODY_BYTES_MAX, length
    return status, await reader.readexactly(length)


async def post_all(base_url: str, bodies: list[tuple[str, bytes]], *, clients: int,
                   timeout_s: float = 60.0, on_answer: Callable[[list[Answer]], None] | None = None) -> list[Answer]:
    """`clients` concurrent keep-alive connections take the bodies in order, one request at a time each;
    `on_answer(answers so far)` is called after each answer (the kill -9 test kills the server there).

    WHY a bare HTTP/1.1 client and not httpx: httpx spends about 4 ms of CPU per request, three
    times what the server spends, so on a small machine it measured the client, not the server.
    """
    assert 1 <= clients <= CLIENTS_MAX, clients
    host, _, port = base_url.removeprefix("http://").partition(":")
    queue: asyncio.Queue[tuple[str, bytes]] = asyncio.Queue(maxsize=len(bodies))
    for item in bodies:
        queue.put_nowait(item)
    answers: list[Answer] = []

    async def worker() -> None:
        connection: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
        while True:
            try:
                signal_id, body = queue.get_nowait()
            except asyncio.QueueEmpty:
                break
            started = time.perf_counter()
            try:
                if connection is None:
                    connection = await asyncio.wait_for(asyncio.open_connection(host, int(port)), timeout_s)
                reader, writer = connection
                writer.write(
                    f"POST {INGEST_PATH} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
                    f"Content-Length: {len(body)}\r\n\r\n".encode() + body
                )
                status, payload = await asyncio.wait_for(_read_response(reader), timeout_s)
            except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError):
                answers.append(Answer(signal_id, None, None, time.perf_counter() - started))
                if on_answer is not None:
                    on_answer(answers)
                if connection is not None:
                    connection[1].close()
                connection = None
                continue
            ack_id = json.loads(payload).get("ack_id") if status in (200, 409) else None
            answers.append(Answer(signal_id, status, ack_id, time.perf_counter() - started))
            if on_answer is not None:
                on_answer(answers)
        if connection is not None:
            connection[1].close()

    await asyncio.gather(*(worker() for _ in range(clients)))
    return answers


def percentile_s(latencies_s: list[float], fraction: float) -> float:
    assert latencies_s and 0.0 <= fraction <= 1.0
    ordered = sorted(latencies_s)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]
