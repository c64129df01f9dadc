"""Group commit in the signal store: concurrent stores share transactions, never an early ack.

Each spec names what a caller relies on: a returned ack_id names a committed row (seen from
another connection the moment the call returns); a duplicate in the same batch gets the winner's
ack_id; a failed commit fails every member and stores nothing; a cancelled leader neither hangs
the rows queued behind it nor acknowledges them.
"""
from __future__ import annotations

import asyncio
import sqlite3
from contextlib import closing

import pytest

from riskcast import DuplicateSignalError, InlineSqlRunner, SignalStore
from riskcast.sql_thread import ThreadSqlRunner
from tests.riskcast.conftest import FixedClock, counted_ack_ids, signal

ROWS = 60


def committed_ids(db_path) -> set[str]:
    with closing(sqlite3.connect(db_path)) as conn:
        return {row[0] for row in conn.execute("SELECT signal_id FROM signals")}


def test_concurrent_stores_share_commits_and_each_ack_names_a_row_already_committed(tmp_path) -> None:
    db_path = tmp_path / "riskcast.db"
    runner = ThreadSqlRunner(str(db_path))
    store = SignalStore(runner, clock=FixedClock(), ack_ids=counted_ack_ids(), commit_rows_max=16)
    seen_committed: list[bool] = []

    async def one(number: int) -> str:
        ack_id = await store.store(signal(number))
        seen_committed.append(signal(number).signal_id in committed_ids(db_path))  # another connection
        return ack_id

    async def scenario() -> list[str]:
        return await asyncio.gather(*(one(n) for n in range(1, ROWS + 1)))

    try:
        acks = asyncio.run(scenario())
    finally:
        runner.close()
    assert seen_committed == [True] * ROWS
    assert len(set(acks)) == ROWS
    assert store.group is not None and 1 <= store.group.batches_committed < ROWS  # commits were shared
    assert committed_ids(db_path) == {signal(n).signal_id for n in range(1, ROWS + 1)}


def test_one_signal_many_times_in_one_batch_gives_one_row_and_the_winners_ack_id_to_all() -> None:
    runner = InlineSqlRunner.in_memory()
    store = SignalStore(runner, clock=FixedClock(), ack_ids=counted_ack_ids(), commit_rows_max=64)

    async def one() -> tuple[str, str]:
        try:
            return "stored", await store.store(signal(1))
        except DuplicateSignalError as duplicate:
            return "duplicate", duplicate.ack_id

    async def scenario() -> list[tuple[str, str]]:
        return await asyncio.gather(*(one() for _ in range(20)))

    answers = asyncio.run(scenario())
    assert sorted(kind for kind, _ in answers) == ["duplicate"] * 19 + ["stored"]
    winner = next(ack for kind, ack in answers if kind == "stored")
    assert {ack for _, ack in answers} == {winner}
    assert runner.connection.execute("SELECT COUNT(*), MIN(ack_id) FROM signals").fetchone() == (1, winner)


class FailingRunner:
    """Runs SQL on an in-memory database but fails the batch commit after running it (a full disk)."""

    def __init__(self) -> None:
        self.inner = InlineSqlRunner.in_memory()

    async def run(self, fn):  # noqa: ANN001, ANN201
        await asyncio.sleep(0)

        def failing(conn: sqlite3.Connection):  # noqa: ANN202
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("ROLLBACK")
            raise sqlite3.OperationalError("database or disk is full")

        return await self.inner.run(failing)


def test_a_failed_commit_fails_every_member_and_stores_nothing() -> None:
    runner = FailingRunner()
    store = SignalStore(runner, clock=FixedClock(), ack_ids=counted_ack_ids(), commit_rows_max=8)

    async def scenario() -> list[object]:
        return await asyncio.gather(*(store.store(signal(n)) for n in range(1, 11)), return_exceptions=True)

    outcomes = asyncio.run(scenario())
    assert all(isinstance(outcome, sqlite3.OperationalError) for outcome in outcomes), outcomes
    assert runner.inner.connection.execute("SELECT COUNT(*) FROM signals").fetchone() == (0,)


def test_a_cancelled_leader_acknowledges_nothing_and_the_rows_queued_behind_it_still_commit() -> None:
    gates: list[asyncio.Event] = []

    async def latency() -> None:  # each SQL call waits until the test opens its gate
        gate = asyncio.Event()
        gates.append(gate)
        await gate.wait()

    async def until_gates(count: int) -> None:
        for _ in range(1_000):
            if len(gates) >= count:
                return
            await asyncio.sleep(0)
        raise AssertionError(f"only {len(gates)} SQL calls started, expected {count}")

    runner = InlineSqlRunner.in_memory(latency)
    store = SignalStore(runner, clock=FixedClock(), ack_ids=counted_ack_ids(), commit_rows_max=2)

    async def scenario() -> tuple[list[object], bool]:
        tasks = [asyncio.create_task(store.store(signal(n))) for n in range(1, 6)]
        await until_gates(1)  # row 1 leads alone (nothing else was queued yet)
        gates[0].set()
        await until_gates(2)  # row 2 leads the batch (2, 3) ...
        tasks[1].cancel()  # ... and is cancelled inside that commit, before its SQL ran
        await until_gates(3)  # the lead passed on to row 4: batch (4, 5)
        gates[2].set()
        outcomes = await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), timeout=5)
        return outcomes, tasks[1].cancelled()

    outcomes, leader_cancelled = asyncio.run(scenario())
    rows = {row[0] for row in runner.connection.execute("SELECT signal_id FROM signals")}
    assert leader_cancelled
    assert isinstance(outcomes[0], str)
    assert isinstance(outcomes[2], RuntimeError) and "abandoned" in str(outcomes[2])  # told, not acked
    assert all(isinstance(ack, str) for ack in outcomes[3:]), outcomes
    assert rows == {signal(n).signal_id for n in (1, 4, 5)}


def test_batches_are_the_same_on_every_run_of_the_inline_runner() -> None:
    def batches() -> tuple[int, list[str]]:
        latencies = iter([0.003, 0.001, 0.002, 0.004] * 50)

        async def latency() -> None:
            await asyncio.sleep(next(latencies))

        runner = InlineSqlRunner.in_memory(latency)
        store = SignalStore(runner, clock=FixedClock(), ack_ids=counted_ack_ids(), commit_rows_max=4)

        async def scenario() -> list[str]:
            return await asyncio.gather(*(store.store(signal(n)) for n in range(1, 31)))

        acks = asyncio.run(scenario())
        assert store.group is not None
        return store.group.batches_committed, acks

    first = batches()
    assert first == batches()
    assert first[0] < 30


@pytest.mark.parametrize("rows_max", [0, 10_001])
def test_a_commit_size_out_of_bounds_is_refused(rows_max: int) -> None:
    with pytest.raises(AssertionError):
        SignalStore(InlineSqlRunner.in_memory(), clock=FixedClock(), ack_ids=counted_ack_ids(),
                    commit_rows_max=rows_max)
