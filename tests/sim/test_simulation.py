"""Simulation: one seed wires streams, loop, trace and nodes into one reproducible world."""
from __future__ import annotations

import asyncio
from datetime import datetime, timezone

import pytest

from sim.loop import DeadlockError
from sim.simulation import Simulation, SimulationTimeLimit


def _concurrent_run(seed: int, *, shuffle_ready: bool = True) -> str:
    with Simulation(seed, shuffle_ready=shuffle_ready) as sim:
        jitter = sim.rng.stream("workload")

        async def worker(node_name: str, index: int) -> None:
            node = sim.node(node_name)
            for step in range(5):
                await asyncio.sleep(jitter.choice([0.5, 1.0]))
                sim.trace.record(node.name, "step", worker=index, step=step)

        async def main() -> None:
            tasks = [sim.node(f"n{index % 3}").spawn(worker(f"n{index % 3}", index), name=f"w{index}")
                     for index in range(6)]
            await asyncio.gather(*tasks)

        sim.run(main())
        return sim.trace.hash()


def test_the_same_seed_gives_the_same_trace_hash() -> None:
    assert _concurrent_run(21) == _concurrent_run(21)


def test_different_seeds_give_different_trace_hashes() -> None:
    assert len({_concurrent_run(seed) for seed in range(5)}) == 5


def test_the_scheduler_uses_its_own_stream() -> None:
    with Simulation(9) as sim:
        assert sim.loop._scheduler_rng is sim.rng.stream("scheduler")
    with Simulation(9, shuffle_ready=False) as sim:
        assert sim.loop._scheduler_rng is None


def test_the_trace_is_stamped_with_virtual_time() -> None:
    with Simulation(1) as sim:
        async def main() -> None:
            await asyncio.sleep(12.5)
            sim.trace.record("n", "late")

        sim.run(main())
        assert sim.trace.events[0].time_s == 12.5 == sim.now_s


def test_nodes_are_created_on_first_use_and_kept_in_creation_order() -> None:
    with Simulation(1) as sim:
        b = sim.node("b")
        sim.node("a")
        assert sim.node("b") is b
        assert [node.name for node in sim.nodes] == ["b", "a"]


def test_node_clocks_start_at_the_epoch() -> None:
    epoch = datetime(2030, 6, 1, 12, tzinfo=timezone.utc)
    with Simulation(1, epoch=epoch) as sim:
        assert sim.node("n").clock.now() == epoch


def test_run_returns_the_result_of_main_and_raises_its_error() -> None:
    with Simulation(1) as sim:
        async def answer() -> int:
            await asyncio.sleep(1)
            return 42

        async def failing() -> None:
            raise KeyError("boom")

        assert sim.run(answer()) == 42
        with pytest.raises(KeyError):
            sim.run(failing())


def test_run_raises_a_deadlock_naming_the_stuck_tasks() -> None:
    with Simulation(1) as sim:
        node = sim.node("riskcast")

        async def main() -> None:
            never = asyncio.Event()
            node.spawn(never.wait(), name="ingest")
            await never.wait()

        with pytest.raises(DeadlockError) as caught:
            sim.run(main())
        assert caught.value.waiting == ["main", "riskcast/ingest"]


def test_the_time_limit_is_a_budget_from_the_start_of_the_run() -> None:
    with Simulation(1) as sim:
        async def sleep(seconds: float) -> None:
            await asyncio.sleep(seconds)

        sim.run(sleep(100))
        sim.run(sleep(50), time_limit_s=60)
        assert sim.now_s == 150.0
        with pytest.raises(SimulationTimeLimit):
            sim.run(sleep(61), time_limit_s=60)
        assert sim.now_s == 150.0
        sim.run(sleep(1))  # the world is still usable after a limit


def test_a_bad_time_limit_is_refused() -> None:
    with Simulation(1) as sim:
        coro = asyncio.sleep(1)
        with pytest.raises(ValueError):
            sim.run(coro, time_limit_s=-1)
        coro.close()


def test_close_cancels_what_is_still_pending_and_lets_it_unwind() -> None:
    unwound: list[str] = []
    sim = Simulation(1)

    async def lingering() -> None:
        try:
            await asyncio.sleep(1000)
        finally:
            unwound.append("finally ran")

    async def main() -> None:
        sim.node("n").spawn(lingering(), name="lingering")
        await asyncio.sleep(1)

    sim.run(main())
    sim.close()
    assert unwound == ["finally ran"]
    assert sim.loop.is_closed()
    sim.close()  # idempotent


def test_close_still_finalizes_an_open_async_generator() -> None:
    finalized: list[str] = []
    sim = Simulation(1)

    async def ticks():
        try:
            while True:
                yield 1
        finally:
            finalized.append("aclose ran")

    kept = []

    async def main() -> None:
        generator = ticks()
        kept.append(generator)  # still referenced, so only shutdown_asyncgens closes it
        await generator.__anext__()

    sim.run(main())
    sim.close()
    assert finalized == ["aclose ran"]
    assert sim.loop.is_closed() and sim.loop._asyncgens_shutdown_called


def _leftovers_run_at_close(ready: bool) -> tuple[list[str], list[str]]:
    """Leave a loop with a timer due now (and a callback ready, if asked) when `run` returns: what
    ran before close and what ran by its end. They are left by a callback that runs in the turn
    that stops the loop (a done callback of `main`, beside run_until_complete's own)."""
    ran: list[str] = []
    sim = Simulation(3)

    async def main() -> None:
        loop = asyncio.get_running_loop()

        def leave(_task: asyncio.Task) -> None:
            loop.call_later(5.0, ran.append, "later")
            loop.call_at(loop.time(), ran.append, "due now")
            if ready:
                loop.call_soon(ran.append, "ready")

        asyncio.current_task().add_done_callback(leave)

    sim.run(main())
    before = list(ran)
    sim.close()
    assert sim.loop.is_closed() and sim.loop._asyncgens_shutdown_called
    return before, ran


def test_close_still_runs_what_is_ready_or_due_and_nothing_later() -> None:
    assert _leftovers_run_at_close(ready=False) == ([], ["due now"])
    before, after = _leftovers_run_at_close(ready=True)
    assert before == [] and sorted(after) == ["due now", "ready"]


def test_close_with_nothing_ready_or_due_ends_as_shutdown_asyncgens_would() -> None:
    sim = Simulation(4)

    async def main() -> None:
        asyncio.get_running_loop().call_later(5.0, print, "never")

    sim.run(main())
    turns = sim.loop.iterations
    sim.close()
    assert sim.loop.is_closed() and sim.loop._asyncgens_shutdown_called
    assert sim.loop.iterations == turns, "no turn was needed to finish closing"


def test_close_after_a_deadlock_does_not_hang() -> None:
    sim = Simulation(1)

    async def main() -> None:
        await asyncio.Event().wait()

    with pytest.raises(DeadlockError):
        sim.run(main())
    sim.close()
    assert sim.loop.is_closed()


def test_a_bad_seed_is_refused() -> None:
    with pytest.raises(ValueError):
        Simulation(-3)
