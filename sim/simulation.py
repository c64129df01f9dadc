"""One simulated world: a seed, its streams, a virtual-time loop, a trace and named nodes.

WHY one object: everything a run does must follow from one integer seed. `Simulation`
wires the pieces so that they agree: the trace is stamped with the loop's virtual time,
the loop's interleaving comes from the `scheduler` stream, and every node's wall clock is
derived from the same virtual time.
"""
from __future__ import annotations

import asyncio
import math
from functools import partial
from datetime import datetime, timezone
from typing import Any, Coroutine, TypeVar

from sim.clock import NodeClock
from sim.loop import DeadlockError, SimLoop, SimulationTimeLimit
from sim.node import Node
from sim.rng import SeededStreams
from sim.trace import Trace

__all__ = ["Simulation", "SimulationTimeLimit", "DeadlockError", "DEFAULT_EPOCH"]

T = TypeVar("T")

DEFAULT_EPOCH = datetime(2026, 1, 1, tzinfo=timezone.utc)
NODES_MAX = 10_000


class Simulation:
    """A deterministic world for one seed. Use as a context manager, or call close()."""

    def __init__(self, seed: int, *, epoch: datetime = DEFAULT_EPOCH, shuffle_ready: bool = True) -> None:
        self.rng = SeededStreams(seed)  # validates the seed
        self.seed = seed
        if not isinstance(epoch, datetime) or epoch.utcoffset() is None:
            raise ValueError(f"epoch must be a tz-aware datetime, got {epoch!r}")
        self.epoch = epoch.astimezone(timezone.utc)
        self.loop = SimLoop(scheduler_rng=self.rng.stream("scheduler") if shuffle_ready else None)
        # the loop's clock read without a Python frame (what loop.time() returns): the trace stamps
        # every event with it and every node clock reads it at every timestamp the system takes
        self._read_time_s = partial(getattr, self.loop, "_now_s")
        # and read as the loop's attribute where the trace and the node clocks stamp (one read, no call)
        self.trace = Trace(time_fn=self._read_time_s, time_source=self.loop)
        self._nodes: dict[str, Node] = {}

    @property
    def now_s(self) -> float:
        """Virtual seconds since the start of the simulation."""
        return self.loop._now_s  # what loop.time() returns, one frame less

    def node(self, name: str) -> Node:
        """The node called `name`, created (alive, clock on true time) on first use."""
        found = self._nodes.get(name)
        if found is not None:
            return found
        if len(self._nodes) >= NODES_MAX:
            raise RuntimeError(f"this simulation already has {NODES_MAX} nodes")
        clock = NodeClock(self._read_time_s, self.epoch, time_source=self.loop)
        created = Node(name, loop=self.loop, clock=clock)
        self._nodes[name] = created
        return created

    @property
    def nodes(self) -> list[Node]:
        """All nodes, in creation order."""
        return list(self._nodes.values())

    def run(self, main: Coroutine[Any, Any, T], *, time_limit_s: float | None = None) -> T:
        """Run `main` to completion on the virtual loop and return its result.

        `time_limit_s` is a budget of virtual seconds counted from the start of this call.
        Raises DeadlockError when everything waits and nothing can wake it, and
        SimulationTimeLimit when the next event lies beyond the budget. Either way the
        world is left as it stood, for inspection; close() cleans up.
        """
        if time_limit_s is not None:
            if isinstance(time_limit_s, bool) or not isinstance(time_limit_s, (int, float)) or math.isnan(time_limit_s):
                raise TypeError(f"time_limit_s must be a number of virtual seconds or None, got {time_limit_s!r}")
            if time_limit_s < 0:
                raise ValueError(f"time_limit_s must be >= 0, got {time_limit_s}")
        loop = self.loop
        loop.time_limit_s = None if time_limit_s is None else loop.time() + time_limit_s
        try:
            task = loop.create_task(main, name="main")
            return loop.run_until_complete(task)
        finally:
            loop.time_limit_s = None

    def close(self) -> None:
        """Cancel every task still pending, let them unwind briefly, and close the loop."""
        loop = self.loop
        if loop.is_closed():
            return
        pending = [task for task in asyncio.all_tasks(loop) if not task.done()]
        pending.sort(key=lambda task: task.get_name())
        for task in pending:
            task.cancel()
        if pending:
            loop.time_limit_s = loop.time()  # unwinding must not advance time
            try:
                loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            except (DeadlockError, SimulationTimeLimit):
                pass  # a task that awaits something again in its finally is abandoned
            finally:
                loop.time_limit_s = None
        if loop._asyncgens or loop._ready or (loop._scheduled and loop._scheduled[0] <= loop._now_s):
            loop.run_until_complete(loop.shutdown_asyncgens())
        else:
            # What `run_until_complete(shutdown_asyncgens())` does when no async generator is open,
            # nothing is ready and no timer is due: its task's one step sets this flag and returns,
            # and the next turn runs the done callback that stops the loop; nothing else runs in
            # either turn (the clock cannot move: a turn with a callback ready does not jump). Those
            # two turns, a task and a run_forever's set-up are about 50 k instructions of a run's
            # fixed cost. The loop's turn count (`iterations`) is the one thing that differs: by 2.
            loop._asyncgens_shutdown_called = True
        loop.close()

    def __enter__(self) -> "Simulation":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Simulation(seed={self.seed}, t={self.now_s:.6f}s, nodes={list(self._nodes)})"
