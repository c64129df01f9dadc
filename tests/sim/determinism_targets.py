"""Targets for the determinism check tests (loaded by file path, not collected by pytest)."""
from __future__ import annotations

import asyncio

from sim.simulation import Simulation
from sim.trace import Trace


def concurrent_world(seed: int) -> Trace:
    """Several nodes, seeded latencies and simultaneous wake-ups: deterministic by construction."""
    with Simulation(seed) as sim:
        latency = sim.rng.stream("network")

        async def client(node_name: str, index: int) -> None:
            node = sim.node(node_name)
            for request in range(20):
                await asyncio.sleep(latency.choice([0.001, 0.002, 0.005]))
                sim.trace.record(node.name, "request", client=index, request=request,
                                 wall=node.clock.now().isoformat())

        async def main() -> None:
            nodes = [sim.node(f"node-{index}") for index in range(4)]
            nodes[1].clock.skew(1.5)
            tasks = [node.spawn(client(node.name, index), name="client") for index, node in enumerate(nodes)]
            await asyncio.gather(*tasks)

        sim.run(main())
        return sim.trace


def leaks_set_order(seed: int) -> Trace:
    """A planted bug: it records the iteration order of a set of strings, which follows PYTHONHASHSEED."""
    trace = Trace()
    for step in range(3):
        trace.record("n", "step", step=step)
    for name in {f"signal-{seed}-{index}" for index in range(12)}:
        trace.record("n", "visit", name=name)
    return trace


def plain_lines(seed: int) -> list[str]:
    return [f'{{"seed":{seed},"i":{index}}}' for index in range(3)]
