"""The heal step between safety and liveness: every fault stops, every node is up again.

Down nodes are restarted by the world: the ones the process-fault driver crashed (through
`faults.heal`) and the ones a crash inside a disk op took down, whose supervisor restart is still
pending. Then the restarted nodes get time to recover before liveness is asked of them.
"""
from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from scenarios.nodes import NODE_NAMES

if TYPE_CHECKING:
    from scenarios.world import World


async def heal_phase(world: "World") -> None:
    world.injector.heal()
    world.process_faults.heal()
    world.network.heal()
    world.trace.record("world", "heal")
    for name in NODE_NAMES:
        if not world.nodes[name].alive:
            world.restart(name)
    await asyncio.sleep(world.config.restart_delay_s_max)
