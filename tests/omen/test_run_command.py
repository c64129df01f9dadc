"""`omen run`: the real pipeline as a process, against a real `riskcast serve` on loopback."""
from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx
import pytest

from scenarios.ledger_oracle import parse_ledger

ROOT = Path(__file__).resolve().parents[2]
READY_ATTEMPTS_MAX = 400
READY_PAUSE_S = 0.05


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "system"), str(ROOT), env.get("PYTHONPATH", "")])
    return env


def omen_command() -> list[str]:
    script = Path(sys.executable).with_name("omen")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "import sys; from omen.cli import main; sys.exit(main())"]


def free_port() -> int:
    with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def riskcast(tmp_path):
    port = free_port()
    db_path = tmp_path / "riskcast.db"
    process = subprocess.Popen(
        [sys.executable, "-c", "import sys; from riskcast.cli import main; sys.exit(main())", "serve",
         "--db", str(db_path), "--ledger", str(tmp_path / "ledger"), "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=_env(),
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(READY_ATTEMPTS_MAX):
            assert process.poll() is None, "riskcast serve exited early"
            try:
                if httpx.get(base_url + "/healthz", timeout=1.0).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(READY_PAUSE_S)
        yield base_url, db_path
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=20)


def _inputs(count: int) -> str:
    return "".join(
        json.dumps({"event_id": f"evt-{n}", "input_event": {"n": n}, "category": "weather"}) + "\n"
        for n in range(count)
    )


def _run(args: list[str], stdin: str) -> tuple[int, list[dict]]:
    completed = subprocess.run([*omen_command(), "run", *args], input=stdin.encode(), capture_output=True,
                               timeout=120, env=_env())
    lines = [json.loads(line) for line in completed.stdout.decode().splitlines()]
    return completed.returncode, lines


def _ledger_files(root: Path) -> dict[str, bytes]:
    return {path.as_posix(): path.read_bytes() for path in root.rglob("*") if path.is_file()}


@pytest.mark.parametrize("group_commit", [0, 8])
def test_every_input_is_written_to_the_ledger_then_delivered_and_reported_as_one_line(
    tmp_path, riskcast, group_commit
) -> None:
    base_url, db_path = riskcast
    ledger = tmp_path / "ledger"
    code, lines = _run(["--ledger", str(ledger), "--riskcast", base_url, "--group-commit", str(group_commit)],
                       _inputs(12))
    assert code == 0
    emits = [line for line in lines if line["kind"] == "emit"]
    assert len(emits) == 12 and {line["status"] for line in emits} == {"delivered"}
    assert lines[0]["kind"] == "ready" and lines[-1] == {"kind": "summary", "emits": {"delivered": 12},
                                                           "input_errors": 0}
    oracle = parse_ledger(_ledger_files(ledger), ledger.as_posix())
    in_ledger = {(r.signal_id, r.partition, r.sequence) for p in oracle.values() for r in p.records}
    assert in_ledger == {(e["signal_id"], e["partition"], e["sequence"]) for e in emits}
    with closing(sqlite3.connect(db_path)) as conn:
        rows = dict(conn.execute("SELECT signal_id, ack_id FROM signals").fetchall())
    assert rows == {e["signal_id"]: e["ack_id"] for e in emits}


def test_a_bad_input_line_is_reported_and_the_others_are_emitted(tmp_path, riskcast) -> None:
    base_url, _ = riskcast
    stdin = _inputs(1) + "not json\n" + json.dumps({"event_id": "x", "category": "weather"}) + "\n" + _inputs(2)
    code, lines = _run(["--ledger", str(tmp_path / "ledger"), "--riskcast", base_url], stdin)
    assert code == 0
    errors = [line for line in lines if line["kind"] == "input_error"]
    assert [e["line"] for e in errors] == [2, 3]
    assert "not JSON" in errors[0]["error"] and "input_event" in errors[1]["error"]
    assert lines[-1]["emits"] == {"delivered": 2, "duplicate": 1}  # evt-0 is in both halves


def test_with_riskcast_down_every_signal_is_deferred_yet_durable(tmp_path) -> None:
    ledger = tmp_path / "ledger"
    code, lines = _run(["--ledger", str(ledger), "--riskcast", f"http://127.0.0.1:{free_port()}",
                        "--push-timeout-s", "0.5"], _inputs(3))
    assert code == 0
    assert [line["status"] for line in lines if line["kind"] == "emit"] == ["deferred"] * 3
    assert sum(len(p.records) for p in parse_ledger(_ledger_files(ledger), ledger.as_posix()).values()) == 3


def test_a_shifted_clock_past_a_day_end_seals_that_day(tmp_path) -> None:
    ledger = tmp_path / "ledger"
    url = f"http://127.0.0.1:{free_port()}"
    now = datetime.now(timezone.utc)
    to_midnight_s = (datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), timezone.utc)
                     - now).total_seconds()
    code, first = _run(["--ledger", str(ledger), "--riskcast", url, "--push-timeout-s", "0.2"], _inputs(1))
    assert code == 0
    day = next(line["partition"] for line in first if line["kind"] == "emit")
    code, second = _run(["--ledger", str(ledger), "--riskcast", url, "--seal-grace-s", "1",
                         "--clock-offset-s", str(to_midnight_s + 5)], "")
    assert code == 0
    assert {"kind": "seal", "partition": day} in second
    manifest = json.loads((ledger / day / "_manifest.json").read_text())
    assert manifest["sealed"] is True


def test_bad_usage_exits_2_with_a_message(tmp_path) -> None:
    completed = subprocess.run([*omen_command(), "run", "--ledger", str(tmp_path), "--riskcast", "http://x",
                                "--input", str(tmp_path / "missing.jsonl")], capture_output=True, timeout=60,
                               env=_env())
    assert completed.returncode == 2 and b"not a readable file" in completed.stderr
    completed = subprocess.run([*omen_command(), "run", "--ledger", str(tmp_path)], capture_output=True,
                               timeout=60, env=_env())
    assert completed.returncode == 2 and b"--riskcast" in completed.stderr
