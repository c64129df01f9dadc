"""`riskcast reconcile`: the reconcile job as its own process, replaying over HTTP to a served RiskCast."""
from __future__ import annotations

import json
import sqlite3
import subprocess
from contextlib import closing
from datetime import datetime, timezone
from pathlib import Path

from omen import LedgerWriter, SignalEvent
from tests.riskcast.test_cli_server import riskcast_command, server  # noqa: F401  (the served fixture)


def _sealed_day(root: Path, count: int) -> list[str]:
    at = datetime(2026, 3, 1, 12, tzinfo=timezone.utc)
    writer = LedgerWriter(str(root))
    ids = [writer.write(SignalEvent.create(event_id=f"e-{n}", input_event={"n": n}, ruleset_version="r1",
                                           category="weather", observed_at=at, emitted_at=at)).signal_id
           for n in range(count)]
    writer.seal_partition("2026-03-01")
    writer.close()
    return ids


def test_one_pass_replays_a_sealed_day_over_http_and_reports_it_as_one_json_line(server, tmp_path) -> None:  # noqa: F811
    base_url, db_path = server
    ledger = db_path.parent / "ledger"
    ids = _sealed_day(ledger, 3)
    completed = subprocess.run(
        [*riskcast_command(), "reconcile", "--db", str(db_path), "--ledger", str(ledger), "--url", base_url,
         "--passes", "2", "--every", "0.1"], capture_output=True, timeout=120)
    assert completed.returncode == 0, completed.stderr.decode()[-2000:]
    lines = [json.loads(line) for line in completed.stdout.decode().splitlines()]
    assert lines[0]["kind"] == "ready"
    first, second = lines[1], lines[2]
    assert first["pass"] == 1 and first["results"][0]["status"] == "reconciled"
    assert first["results"][0]["replayed_ids"] == sorted(ids)
    assert second["results"][0]["status"] == "up_to_date"
    with closing(sqlite3.connect(db_path)) as conn:
        assert sorted(row[0] for row in conn.execute("SELECT signal_id FROM signals")) == sorted(ids)


def test_bad_usage_exits_2() -> None:
    completed = subprocess.run([*riskcast_command(), "reconcile", "--db", "x.db", "--ledger", "l", "--url", "http://x",
                                "--every", "0"], capture_output=True, timeout=60)
    assert completed.returncode == 2 and b"--every" in completed.stderr
    completed = subprocess.run([*riskcast_command(), "reconcile", "--db", "x.db"], capture_output=True, timeout=60)
    assert completed.returncode == 2 and b"--ledger" in completed.stderr
