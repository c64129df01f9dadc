"""SignalStore: one row per signal_id; a duplicate is refused with the ORIGINAL ack_id."""
from __future__ import annotations

import asyncio

import pytest

from riskcast import DuplicateSignalError, InlineSqlRunner, SignalStore, init_schema


def new_store(clock, ack_ids, latency=None) -> tuple[SignalStore, InlineSqlRunner]:
    runner = InlineSqlRunner.in_memory(latency)
    return SignalStore(runner, clock=clock, ack_ids=ack_ids), runner


def test_a_new_signal_is_committed_and_readable_by_its_id(clock, ack_ids, make_signal) -> None:
    store, runner = new_store(clock, ack_ids)
    event = make_signal(1)

    async def scenario():
        ack_id = await store.store(event)
        return ack_id, await store.get_by_signal_id(event.signal_id)

    ack_id, stored = asyncio.run(scenario())
    assert ack_id == "ack-000001"
    assert stored is not None
    assert stored.ack_id == ack_id
    assert stored.ledger_partition == "2024-03-01" and stored.ledger_sequence == 1
    assert stored.received_at == clock.now().isoformat()
    assert stored.event == event
    assert not runner.connection.in_transaction, "store() must leave nothing uncommitted"


def test_storing_a_signal_twice_raises_a_duplicate_error_carrying_the_original_ack_id(
    clock, ack_ids, make_signal
) -> None:
    store, _ = new_store(clock, ack_ids)
    event = make_signal(1)

    async def scenario():
        first = await store.store(event)
        with pytest.raises(DuplicateSignalError) as caught:
            await store.store(event)
        return first, caught.value, await store.count()

    first, duplicate, count = asyncio.run(scenario())
    assert duplicate.signal_id == event.signal_id
    assert duplicate.ack_id == first
    assert count == 1


def test_concurrent_stores_of_one_signal_interleaved_by_latency_yield_one_winner(
    clock, ack_ids, make_signal
) -> None:
    async def latency() -> None:
        await asyncio.sleep(0)

    store, _ = new_store(clock, ack_ids, latency)
    event = make_signal(7)

    async def attempt():
        try:
            return ("ok", await store.store(event))
        except DuplicateSignalError as error:
            return ("dup", error.ack_id)

    async def scenario():
        return await asyncio.gather(*(attempt() for _ in range(20))), await store.count()

    outcomes, count = asyncio.run(scenario())
    winners = [ack for kind, ack in outcomes if kind == "ok"]
    assert len(winners) == 1
    assert [ack for kind, ack in outcomes if kind == "dup"] == [winners[0]] * 19
    assert count == 1


def test_processed_ids_are_those_of_the_partition_asked_for(clock, ack_ids, make_signal) -> None:
    store, _ = new_store(clock, ack_ids)

    async def scenario():
        await store.store(make_signal(1, partition="2024-03-01"))
        await store.store(make_signal(2, partition="2024-03-01-late"))
        await store.store(make_signal(3, partition="2024-03-01"))
        return (
            await store.list_processed_ids("2024-03-01"),
            await store.list_processed_ids("2024-03-01-late"),
            await store.list_processed_ids("2024-03-02"),
            await store.all_signal_ids(),
        )

    main, late, other, every = asyncio.run(scenario())
    assert main == {make_signal(1).signal_id, make_signal(3).signal_id}
    assert late == {make_signal(2).signal_id}
    assert other == set()
    assert every == sorted(main | late)


def test_an_unknown_signal_id_reads_as_none(clock, ack_ids) -> None:
    store, _ = new_store(clock, ack_ids)
    assert asyncio.run(store.get_by_signal_id("OMEN-NOPE")) is None


def test_init_schema_is_idempotent(clock, ack_ids, make_signal) -> None:
    store, runner = new_store(clock, ack_ids)
    asyncio.run(store.store(make_signal(1)))
    init_schema(runner.connection)
    init_schema(runner.connection)
    assert asyncio.run(store.count()) == 1


def clear_partition(conn, signal_id: str) -> None:  # noqa: ANN001
    conn.execute("UPDATE signals SET ledger_partition = NULL WHERE signal_id = ?", (signal_id,))
    conn.commit()


@pytest.mark.parametrize("partitions", [
    [],
    ["2024-03-01"],
    ["2024-03-02", "2024-03-01-late", "2024-03-01", "2024-03-02", None, "2024-03-01", "2023-12-31-late", None],
])
def test_the_partitions_listed_are_the_distinct_stored_ones_sorted(clock, ack_ids, make_signal, partitions) -> None:
    """Listed by one index seek per partition: the same answer as SELECT DISTINCT ... ORDER BY."""
    store, runner = new_store(clock, ack_ids)

    async def scenario() -> tuple[list[str], list[str]]:
        for number, partition in enumerate(partitions, start=1):
            await store.store(make_signal(number, partition=partition or "2024-01-01"))
            if partition is None:  # a row stored without its ledger coordinates
                await runner.run(lambda conn, n=number: clear_partition(conn, make_signal(n).signal_id))
        distinct = await runner.run(lambda conn: [row[0] for row in conn.execute(
            "SELECT DISTINCT ledger_partition FROM signals WHERE ledger_partition IS NOT NULL ORDER BY 1")])
        return await store.list_partitions(), distinct

    listed, distinct = asyncio.run(scenario())
    assert listed == distinct == sorted({p for p in partitions if p is not None})
