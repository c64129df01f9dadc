"""Plain asyncio code runs unchanged on the simulated loop, on virtual time."""
from __future__ import annotations

import asyncio

import pytest

from sim.simulation import Simulation


@pytest.fixture
def sim() -> Simulation:
    created = Simulation(11)
    yield created
    created.close()


def test_a_lock_serialises_its_holders(sim: Simulation) -> None:
    inside: list[int] = []
    overlaps: list[int] = []

    async def holder(lock: asyncio.Lock) -> None:
        async with lock:
            inside.append(1)
            overlaps.append(len(inside))
            await asyncio.sleep(1)
            inside.pop()

    async def main() -> None:
        lock = asyncio.Lock()
        await asyncio.gather(*(holder(lock) for _ in range(5)))

    sim.run(main())
    assert overlaps == [1] * 5
    assert sim.now_s == 5.0


def test_a_bounded_queue_hands_items_from_producer_to_consumer_in_order(sim: Simulation) -> None:
    async def main() -> list[int]:
        queue: asyncio.Queue[int] = asyncio.Queue(maxsize=2)
        received: list[int] = []

        async def producer() -> None:
            for item in range(6):
                await queue.put(item)
            await queue.put(-1)

        async def consumer() -> None:
            while (item := await queue.get()) != -1:
                received.append(item)
                await asyncio.sleep(0.5)

        await asyncio.gather(producer(), consumer())
        return received

    assert sim.run(main()) == list(range(6))
    assert sim.now_s == 3.0


def test_an_event_wakes_every_waiter(sim: Simulation) -> None:
    async def main() -> list[float]:
        event = asyncio.Event()
        woken: list[float] = []

        async def waiter() -> None:
            await event.wait()
            woken.append(sim.now_s)

        waiters = [asyncio.create_task(waiter()) for _ in range(3)]
        await asyncio.sleep(7)
        event.set()
        await asyncio.gather(*waiters)
        return woken

    assert sim.run(main()) == [7.0, 7.0, 7.0]


def test_wait_for_times_out_on_virtual_time(sim: Simulation) -> None:
    async def main() -> None:
        await asyncio.wait_for(asyncio.sleep(3600), timeout=2.5)

    with pytest.raises(asyncio.TimeoutError):
        sim.run(main())
    assert sim.now_s == 2.5


def test_asyncio_timeout_context_works_on_virtual_time(sim: Simulation) -> None:
    async def main() -> None:
        async with asyncio.timeout(4):
            await asyncio.sleep(10)

    with pytest.raises(TimeoutError):
        sim.run(main())
    assert sim.now_s == 4.0


def test_gather_returns_results_in_argument_order(sim: Simulation) -> None:
    async def after(delay_s: float, value: str) -> str:
        await asyncio.sleep(delay_s)
        return value

    async def main() -> list[str]:
        return await asyncio.gather(after(3, "slow"), after(1, "fast"))

    assert sim.run(main()) == ["slow", "fast"]
    assert sim.now_s == 3.0


def test_shield_protects_the_inner_work_from_the_outer_cancellation(sim: Simulation) -> None:
    finished: list[float] = []

    async def work() -> None:
        await asyncio.sleep(5)
        finished.append(sim.now_s)

    async def main() -> None:
        inner = asyncio.ensure_future(work())
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(asyncio.shield(inner), timeout=1)
        await inner

    sim.run(main())
    assert finished == [5.0]


def test_call_later_and_call_at_fire_at_their_virtual_instants(sim: Simulation) -> None:
    fired: list[tuple[str, float]] = []

    async def main() -> None:
        loop = asyncio.get_running_loop()
        loop.call_later(2.0, lambda: fired.append(("later", loop.time())))
        loop.call_at(1.0, lambda: fired.append(("at", loop.time())))
        cancelled = loop.call_later(1.5, lambda: fired.append(("cancelled", loop.time())))
        cancelled.cancel()
        await asyncio.sleep(3)

    sim.run(main())
    assert fired == [("at", 1.0), ("later", 2.0)]


def test_many_cancelled_timeouts_do_not_pile_up_in_the_timer_heap(sim: Simulation) -> None:
    async def main() -> int:
        for _ in range(2000):
            await asyncio.wait_for(asyncio.sleep(0.001), timeout=60)
        return len(sim.loop._scheduled)

    assert sim.run(main()) <= 200


def test_a_semaphore_bounds_concurrency(sim: Simulation) -> None:
    peak = [0, 0]

    async def user(semaphore: asyncio.Semaphore) -> None:
        async with semaphore:
            peak[0] += 1
            peak[1] = max(peak[1], peak[0])
            await asyncio.sleep(1)
            peak[0] -= 1

    async def main() -> None:
        semaphore = asyncio.Semaphore(3)
        await asyncio.gather(*(user(semaphore) for _ in range(9)))

    sim.run(main())
    assert peak[1] == 3
    assert sim.now_s == 3.0


def test_async_generators_are_finalised_at_close() -> None:
    closed: list[bool] = []
    sim = Simulation(1)

    async def ticks():  # type: ignore[no-untyped-def]
        try:
            while True:
                yield 1
                await asyncio.sleep(1)
        finally:
            closed.append(True)

    async def main() -> None:
        generator = ticks()
        await generator.__anext__()

    sim.run(main())
    sim.close()
    assert closed == [True]
