"""The safety phase: the system runs its workload under the plan's faults.

Nodes boot, the process-fault driver starts, the workload driver and the scenario's own drivers
are installed; the phase lasts the scenario's duration (or until the last planned signal), plus a
short tail so the last emits can finish. Safety invariants are judged over everything it records.
"""
from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import TYPE_CHECKING

from scenarios.drivers.workload_driver import WorkloadDriver
from scenarios.workload import PlannedSignal

if TYPE_CHECKING:
    from scenarios.catalog import ScenarioParams
    from scenarios.drivers.scenario_driver import ScenarioDriver
    from scenarios.world import World

SAFETY_TAIL_S = 5.0


async def safety_phase(world: "World", params: "ScenarioParams", planned: list[PlannedSignal],
                       drivers: Sequence["ScenarioDriver"] = ()) -> None:
    world.start()
    world.process_faults.start(params.duration_s)
    last_s = planned[-1].at_s if planned else 0.0  # before the driver takes the list over (and empties it)
    workload = WorkloadDriver(world, planned)
    world.spawn("source", workload.run, name="source.drive")
    for driver in drivers:
        driver.install(world, params)
    await asyncio.sleep(max(params.duration_s, last_s) + SAFETY_TAIL_S)
