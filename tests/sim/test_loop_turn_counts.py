"""The loop's turn and fused-wakeup counts are kept in locals while it runs and added when `_run_once`
returns or raises: a run that ends in a deadlock or a time limit still counts every turn it made."""
from __future__ import annotations

import asyncio

import pytest

from sim.loop import DeadlockError, SimLoop, SimulationTimeLimit


def run_sleeps(loop: SimLoop, sleeps: int, then: str) -> None:
    async def main() -> None:
        for _ in range(sleeps):
            await asyncio.sleep(1.0)
        if then == "deadlock":
            await loop.create_future()  # no one will ever complete it
        elif then == "limit":
            await asyncio.sleep(100.0)

    loop.time_limit_s = 50.0 if then == "limit" else None
    loop.run_until_complete(main())


@pytest.mark.parametrize("sleeps", [0, 1, 3, 10])
def test_each_sleep_is_one_fused_turn_however_the_run_ends(sleeps: int) -> None:
    counts = {}
    for then, error in (("return", None), ("deadlock", DeadlockError), ("limit", SimulationTimeLimit)):
        loop = SimLoop()
        try:
            if error is None:
                run_sleeps(loop, sleeps, then)
            else:
                with pytest.raises(error):
                    run_sleeps(loop, sleeps, then)
            counts[then] = (loop.iterations, loop.fused_wakeups)
        finally:
            loop.close()
    # the main task's first step, one turn per sleep (its wakeup fused into its timer's slot), then
    # either the done callback that stops the loop or the turn that finds nothing left to run
    assert counts == {"return": (2 + sleeps, sleeps), "deadlock": (2 + sleeps, sleeps),
                      "limit": (2 + sleeps, sleeps)}


def test_counts_add_up_over_several_runs_of_one_loop() -> None:
    loop = SimLoop()
    try:
        run_sleeps(loop, 2, "return")
        first = (loop.iterations, loop.fused_wakeups)
        run_sleeps(loop, 2, "return")
        assert (loop.iterations, loop.fused_wakeups) == (2 * first[0], 2 * first[1])
    finally:
        loop.close()
