"""What a scenario's own driver is: something it installs into the world before the safety phase.

WHY a protocol: the generic runner knows the workload and the periodic jobs, nothing scenario
specific. A scenario that needs more (the audit's concurrent POSTs, the exhaustive crash points,
a newcomer's own load) lists driver objects in `scenarios/catalog.py`; the safety phase calls
`install` on each, in order, after the workload driver started. A driver spawns tasks on the
world's nodes (`world.spawn`), may wrap a fault hook, and reports through the trace or
`world.observations`.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from scenarios.catalog import ScenarioParams
    from scenarios.world import World


class ScenarioDriver(Protocol):
    def install(self, world: "World", params: "ScenarioParams") -> None: ...
