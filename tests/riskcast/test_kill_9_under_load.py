"""kill -9 of the served RiskCast in the middle of a concurrent load loses no acknowledged row.

Group commit makes many requests share one transaction; the promise it must keep is the same as
one commit per request: every 200 (and every 409) was sent after the row it names was durable. The
server is killed with SIGKILL (no shutdown, no flush) once a share of the load was answered; the
database file is then opened afresh and must hold every acknowledged signal with its ack_id.
"""
from __future__ import annotations

import asyncio
import sqlite3
from contextlib import closing

import pytest

from tests.riskcast.served import post_all, start_served, load_bodies

REQUESTS = 1_200
CLIENTS = 50
KILL_AFTER_ANSWERS = 500


@pytest.mark.parametrize("commit_rows_max", ["256", "1"])
def test_no_acknowledged_row_is_lost_when_the_server_is_killed_mid_load(tmp_path, commit_rows_max) -> None:
    served = start_served(tmp_path, "--commit-rows-max", commit_rows_max)
    killed: list[int] = []

    def kill_midway(answers) -> None:  # noqa: ANN001
        if not killed and len(answers) >= KILL_AFTER_ANSWERS:
            killed.append(len(answers))
            served.kill_hard()

    try:
        bodies = load_bodies(REQUESTS, duplicate_fraction=0.3, seed=7)
        answers = asyncio.run(post_all(served.base_url, bodies, clients=CLIENTS, timeout_s=30.0,
                                       on_answer=kill_midway))
    finally:
        served.stop()
    assert killed, "the load ended before the kill"
    assert served.process.returncode == -9
    acknowledged_pairs = {(a.signal_id, a.ack_id) for a in answers if a.status in (200, 409)}
    acknowledged = dict(acknowledged_pairs)
    assert len(acknowledged) == len(acknowledged_pairs), "two answers gave one signal different ack_ids"
    assert len(acknowledged) >= KILL_AFTER_ANSWERS // 2  # the kill came mid-load, after real work
    assert any(a.status is None for a in answers), "no request was cut off: the kill was not mid-load"
    with closing(sqlite3.connect(served.db_path)) as conn:
        stored = dict(conn.execute("SELECT signal_id, ack_id FROM signals"))
    lost = {sid: ack for sid, ack in acknowledged.items() if stored.get(sid) != ack}
    assert lost == {}
