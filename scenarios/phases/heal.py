"""The heal step between safety and liveness: every fault stops, every node is up again.

One heal path, `faults.heal` (injector off, partitions over, the process-fault driver's down
nodes restarted, a "faults.heal" event), then the world restarts the nodes a crash inside a disk
op took down, whose supervisor restart is still pending. Then the restarted nodes get time to recover before liveness is asked of them.
"""
from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from faults import heal
from scenarios.nodes import NODE_NAMES

if TYPE_CHECKING:
    from scenarios.world import World


async def heal_phase(world: "World") -> None:
    heal(world.injector, network=world.network, process=world.process_faults)
    for name in NODE_NAMES:
        if not world.nodes[name].alive:
            world.restart(name)
    await asyncio.sleep(world.config.restart_delay_s_max)
