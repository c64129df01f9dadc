"""The virtual-time loop: plain asyncio runs unchanged, time jumps, order is seeded, deadlocks are named."""
from __future__ import annotations

import asyncio
import random
import time

import pytest

from sim.loop import DeadlockError, SimLoop, SimulationTimeLimit, ThreadsForbiddenError

DAY_S = 86_400.0


@pytest.fixture
def loop() -> SimLoop:
    created = SimLoop(random.Random(0))
    yield created
    created.close()


def test_time_starts_at_start_time_and_advances_only_by_timers() -> None:
    loop = SimLoop(start_time_s=100.0)
    try:
        assert loop.time() == 100.0

        async def main() -> float:
            await asyncio.sleep(2.5)
            return loop.time()

        assert loop.run_until_complete(main()) == 102.5
    finally:
        loop.close()


def test_sleeping_a_simulated_day_in_many_tasks_takes_well_under_a_second_of_wall_time(loop: SimLoop) -> None:
    async def sleeper(steps: int) -> None:
        for _ in range(steps):
            await asyncio.sleep(DAY_S / steps)

    async def main() -> None:
        await asyncio.gather(*(sleeper(24) for _ in range(500)))

    started = time.perf_counter()
    loop.run_until_complete(main())
    wall_s = time.perf_counter() - started
    assert loop.time() == pytest.approx(DAY_S)
    assert wall_s < 2.0, f"a simulated day took {wall_s:.3f} s of wall time"


def test_a_tight_sleep_loop_never_sleeps_for_real(loop: SimLoop) -> None:
    iterations = 50_000

    async def main() -> None:
        for _ in range(iterations):
            await asyncio.sleep(0.001)

    started = time.perf_counter()
    loop.run_until_complete(main())
    wall_s = time.perf_counter() - started
    assert loop.time() == pytest.approx(iterations * 0.001)
    # About 180k/s is measured here; the bound only guards against real sleeping or a pathological
    # regression, with room for a shared, loaded CI machine (speed itself is measured in benchmarks/).
    assert iterations / wall_s > 20_000, f"{iterations / wall_s:.0f} iterations per wall second"


def test_a_deadlock_raises_naming_every_waiting_task_sorted(loop: SimLoop) -> None:
    async def stuck(event: asyncio.Event) -> None:
        await event.wait()

    async def main() -> None:
        event = asyncio.Event()
        await asyncio.gather(
            loop.create_task(stuck(event), name="zeta"),
            loop.create_task(stuck(event), name="alpha"),
        )

    with pytest.raises(DeadlockError) as caught:
        loop.run_until_complete(loop.create_task(main(), name="main"))
    assert caught.value.waiting == ["alpha", "main", "zeta"]
    assert "alpha" in str(caught.value) and "in stuck" in str(caught.value)


def test_a_deadlock_is_reported_at_the_virtual_time_it_happens(loop: SimLoop) -> None:
    async def main() -> None:
        await asyncio.sleep(5)
        await asyncio.Lock().acquire()  # fine: an unlocked lock
        await loop.create_future()  # never resolved

    with pytest.raises(DeadlockError) as caught:
        loop.run_until_complete(main())
    assert caught.value.time_s == 5.0


def test_unnamed_tasks_are_named_by_the_loop_not_by_a_process_wide_counter() -> None:
    names = []
    for _ in range(2):
        loop = SimLoop()
        try:
            async def child() -> None:
                pass

            async def main() -> None:
                task = asyncio.ensure_future(child())
                names.append(task.get_name())
                await task

            loop.run_until_complete(main())
        finally:
            loop.close()
    assert names[0] == names[1]
    assert names[0].startswith("test_unnamed_tasks_are_named_by_the_loop_not_by_a_process_wide_counter.<locals>.child#")


def test_the_time_limit_stops_a_run_whose_next_timer_lies_beyond_it(loop: SimLoop) -> None:
    async def heartbeat() -> None:
        while True:
            await asyncio.sleep(1.0)

    loop.time_limit_s = 10.5
    with pytest.raises(SimulationTimeLimit) as caught:
        loop.run_until_complete(heartbeat())
    assert loop.time() == 10.0
    assert caught.value.next_timer_s == 11.0


def test_a_time_limit_reads_back_as_set_and_none_lifts_it(loop: SimLoop) -> None:
    assert loop.time_limit_s is None
    for limit_s in (10.5, 3, None, 0.0):
        loop.time_limit_s = limit_s
        assert loop.time_limit_s == limit_s and type(loop.time_limit_s) is type(limit_s)

    async def late() -> None:
        await asyncio.sleep(1e9)  # any finite time is within no limit

    loop.time_limit_s = 2.0
    loop.time_limit_s = None
    loop.run_until_complete(late())
    assert loop.time() == 1e9
    loop.time_limit_s = loop.time() + 5
    with pytest.raises(SimulationTimeLimit) as caught:
        loop.run_until_complete(asyncio.sleep(6))
    assert caught.value.limit_s == 1e9 + 5 and caught.value.next_timer_s == 1e9 + 6


def test_run_in_executor_is_refused_because_threads_are_nondeterministic(loop: SimLoop) -> None:
    async def main() -> None:
        await loop.run_in_executor(None, print)

    with pytest.raises(ThreadsForbiddenError):
        loop.run_until_complete(main())


def test_a_scheduler_rng_must_be_a_random_instance() -> None:
    with pytest.raises(TypeError):
        SimLoop(scheduler_rng=42)  # type: ignore[arg-type]


def _wake_order(seed: int | None, tasks: int = 8) -> list[int]:
    loop = SimLoop(random.Random(seed) if seed is not None else None)
    order: list[int] = []

    async def waker(index: int) -> None:
        await asyncio.sleep(1.0)
        order.append(index)

    async def main() -> None:
        await asyncio.gather(*(waker(index) for index in range(tasks)))

    try:
        loop.run_until_complete(main())
    finally:
        loop.close()
    return order


def test_tasks_waking_at_the_same_instant_run_in_the_same_order_for_the_same_seed() -> None:
    assert _wake_order(3) == _wake_order(3)


def test_different_seeds_give_different_orders_for_tasks_waking_at_the_same_instant() -> None:
    orders = {tuple(_wake_order(seed)) for seed in range(10)}
    assert len(orders) > 5


def test_without_a_scheduler_rng_the_order_is_asyncios_own_and_still_repeatable() -> None:
    assert sorted(_wake_order(None)) == list(range(8))
    assert _wake_order(None) == _wake_order(None)


def test_a_seed_explores_interleavings_of_ready_callbacks_not_only_timers() -> None:
    def run(seed: int) -> list[str]:
        loop = SimLoop(random.Random(seed))
        steps: list[str] = []

        async def worker(name: str) -> None:
            for step in range(3):
                steps.append(f"{name}{step}")
                await asyncio.sleep(0)

        async def main() -> None:
            await asyncio.gather(worker("a"), worker("b"))

        try:
            loop.run_until_complete(main())
        finally:
            loop.close()
        return steps

    runs = {tuple(run(seed)) for seed in range(20)}
    assert len(runs) > 1
    assert run(4) == run(4)


def test_a_sleep_costs_one_turn_its_timer_resumes_the_sleeper_in_its_own_slot(loop: SimLoop) -> None:
    async def sleeper() -> None:
        for _ in range(1000):
            await asyncio.sleep(20.0)

    loop.run_until_complete(sleeper())
    assert loop.time() == 20_000.0
    assert loop.fused_wakeups == 1000
    assert loop.iterations <= 1000 + 5, "one turn per sleep (plus the task's first step and the end)"


def test_a_fused_wakeup_is_not_chained_so_a_busy_task_cannot_starve_a_sleeper(loop: SimLoop) -> None:
    order: list[str] = []

    async def busy() -> None:
        await asyncio.sleep(1.0)
        for _ in range(50):
            order.append("busy")
            await asyncio.sleep(0)  # yields through call_soon: never fused

    async def sleeper() -> None:
        await asyncio.sleep(1.0)
        order.append("sleeper")

    async def main() -> None:
        await asyncio.gather(busy(), sleeper())

    loop.run_until_complete(main())
    assert order.index("sleeper") <= 2, order[:5]


def test_simultaneous_sleepers_still_wake_in_a_seeded_order_with_fused_wakeups() -> None:
    def order(seed: int) -> list[int]:
        created = SimLoop(random.Random(seed))
        woke: list[int] = []

        async def sleeper(n: int) -> None:
            await asyncio.sleep(5.0)
            woke.append(n)

        async def main() -> None:
            await asyncio.gather(*(sleeper(n) for n in range(8)))

        try:
            created.run_until_complete(main())
            assert created.fused_wakeups >= 8
        finally:
            created.close()
        return woke

    assert order(1) == order(1)
    assert len({tuple(order(seed)) for seed in range(6)}) > 1
