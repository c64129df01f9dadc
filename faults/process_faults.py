"""Process and clock faults over time: random crashes on a fault tick, scripted crashes, clock faults.

WHY a driver on its own "faults" node: crashes and clock steps are not answers to an operation of
the system; they strike at any moment, between any two steps of any task, including in the middle
of a rollover, a seal or a reconcile. Driving them from tasks of a dedicated node keeps them on the
same virtual loop (so the seeded interleaving decides where they land) and out of the way of the
nodes they crash.

What it drives (all through the injector, so everything is traced, counted and replayable):
- every `plan.tick_s` virtual seconds, at point "proc.tick": proc.crash_<node> for each crashable
  node that is up (each crash is followed by a restart after the drawn `restart_after_s`); and at
  point "clock.tick": clock.skew (rate) and clock.jump (delta_s) for each clock, in name order;
- the plan's scripted `crashes` and `clock` entries at their `at_s` (traced as faults at points
  "plan.crashes[i]" / "plan.clock[i]", not written to the schedule: the plan re-creates them).

The crash/restart callbacks belong to the scenarios layer, which knows what a crash of "omen",
"riskcast" or "reconciler" means (cancel tasks, crash the disk, rebuild from durable state).
"""
from __future__ import annotations

import asyncio
from typing import Callable, Mapping

from faults.injector import FaultInjector
from faults.kinds import FAULT_KINDS
from sim.clock import NodeClock
from sim.loop import SimLoop
from sim.simulation import Simulation

CRASH_KIND_PREFIX = "proc.crash_"
# the crashable nodes, derived from the catalogue's `proc.crash_<node>` kinds (one table: a new
# crashable node is a new kind in faults/kinds.py, and a node definition in scenarios/nodes/)
CRASH_KIND_BY_NODE: dict[str, str] = {
    name.removeprefix(CRASH_KIND_PREFIX): name for name in FAULT_KINDS if name.startswith(CRASH_KIND_PREFIX)
}
TICKS_MAX = 50_000_000  # a bound on the tick loop: 0.5 s ticks for ~290 simulated days
FAULTS_NODE = "faults"


class ProcessFaults:
    """Crashes and restarts processes and moves clocks, as tasks on the "faults" node."""

    def __init__(
        self,
        injector: FaultInjector,
        sim: Simulation,
        *,
        crash: Callable[[str], None],
        restart: Callable[[str], None],
        clocks: Mapping[str, NodeClock],
        is_up: Callable[[str], bool] | None = None,
    ) -> None:
        """`is_up(name)`, when given, lets ticks skip a node that is down for another reason
        (e.g. a disk crash the scenario is handling), so a crash is never counted for a dead node.
        It is asked only about a node whose crash kind is on (nothing is decided for the others).
        """
        assert isinstance(injector, FaultInjector)
        if not callable(crash) or not callable(restart):
            raise TypeError("crash and restart must be callables taking a node name")
        self.injector = injector
        self.sim = sim
        self._crash_cb = crash
        self._restart_cb = restart
        self._clocks = {name: clocks[name] for name in sorted(clocks)}
        self._is_up = is_up
        self._down: dict[str, asyncio.Task | None] = {}  # nodes we crashed -> their restart task
        self._drivers: list[asyncio.Task] = []
        self.started = False

    @property
    def down(self) -> list[str]:
        """The nodes this driver crashed that are not restarted yet, in crash order."""
        return list(self._down)

    def start(self, duration_s: float) -> None:
        """Spawn the drivers for the safety phase [now, now + duration_s]."""
        if self.started:
            raise RuntimeError("ProcessFaults.start() was already called for this run")
        if not duration_s >= 0.0:
            raise ValueError(f"duration_s must be >= 0, got {duration_s}")
        self.started = True
        plan = self.injector.plan
        for spec in plan.crashes:
            if spec.node not in CRASH_KIND_BY_NODE:
                raise ValueError(
                    f"plan.crashes names node {spec.node!r}; crashable nodes: {', '.join(CRASH_KIND_BY_NODE)}"
                )
        for spec in plan.clock:
            if spec.node not in self._clocks:
                raise ValueError(f"plan.clock names node {spec.node!r}, which has no clock here: {list(self._clocks)}")
        node = self.sim.node(FAULTS_NODE)
        start_s = self.sim.now_s
        tick_kinds = [kind for kind in CRASH_KIND_BY_NODE.values() if self.injector.enabled(kind)]
        if self._clocks:
            tick_kinds += [kind for kind in ("clock.skew", "clock.jump") if self.injector.enabled(kind)]
        if tick_kinds:
            self._drivers.append(node.spawn(self._tick_driver(start_s, duration_s), name="fault-ticks"))
        if plan.crashes or plan.clock:
            self._drivers.append(node.spawn(self._script_driver(start_s), name="fault-script"))

    def heal(self) -> None:
        """Stop the drivers and restart, now, every node this driver crashed."""
        for task in self._drivers:
            task.cancel()
        self._drivers = []
        for name in list(self._down):
            pending = self._down.pop(name)
            if pending is not None:
                pending.cancel()
            self._do_restart(name)

    # ---- drivers ---------------------------------------------------------------------------------

    async def _tick_driver(self, start_s: float, duration_s: float) -> None:
        injector = self.injector
        loop = self.sim.loop
        tick_s = injector.plan.tick_s
        tick_count = int(duration_s / tick_s)
        assert tick_count <= TICKS_MAX, f"{tick_count} fault ticks: raise tick_s or shorten the run"
        # Only the kinds the run has on are asked, in the catalogue's order: a kind that is off never
        # draws, counts or fires (FaultInjector.kinds_on, fixed at init), so each tick decides what it
        # decided when it asked all nine, with the same draws. A swarm plan turns most of them off,
        # and each question was two Python calls (about 3 k instructions) at every tick of a run.
        on = injector.kinds_on
        crash_kinds = tuple((name, (kind,)) for name, kind in CRASH_KIND_BY_NODE.items() if kind in on)
        skew_kinds = ("clock.skew",) if "clock.skew" in on else None
        jump_kinds = ("clock.jump",) if "clock.jump" in on else None
        clocks = tuple(self._clocks.items()) if skew_kinds or jump_kinds else ()
        decide_first = injector.decide_first
        # `SimLoop.sleep` is `asyncio.sleep`'s steps (the same future, timer and wakeup) with the
        # timer cancelled in one frame; any other loop gets asyncio's own
        sleep = loop.sleep if isinstance(loop, SimLoop) else asyncio.sleep
        for tick in range(1, tick_count + 1):
            await sleep(max(0.0, start_s + tick * tick_s - loop.time()))
            if not injector.active:
                return
            for name, kinds in crash_kinds:
                if name in self._down or (self._is_up is not None and not self._is_up(name)):
                    continue
                found = decide_first("proc.tick", kinds, name)  # `decide(point, kind, name)`'s one call
                if found is not None:
                    self._do_crash(name, float(found[1]["restart_after_s"]))
            for name, clock in clocks:
                if skew_kinds is not None:
                    found = decide_first("clock.tick", skew_kinds, name)
                    if found is not None:
                        clock.skew(float(found[1]["rate"]))
                if jump_kinds is not None:
                    found = decide_first("clock.tick", jump_kinds, name)
                    if found is not None:
                        clock.jump(float(found[1]["delta_s"]))

    async def _script_driver(self, start_s: float) -> None:
        plan = self.injector.plan
        loop = self.sim.loop
        events: list[tuple[float, int, str, int]] = []
        events += [(spec.at_s, 0, "crash", index) for index, spec in enumerate(plan.crashes)]
        events += [(spec.at_s, 1, "clock", index) for index, spec in enumerate(plan.clock)]
        events.sort()
        for at_s, _, what, index in events:
            await asyncio.sleep(max(0.0, start_s + at_s - loop.time()))
            if what == "crash":
                crash = plan.crashes[index]
                if crash.node in self._down or (self._is_up is not None and not self._is_up(crash.node)):
                    continue
                if self.injector.scripted(f"plan.crashes[{index}]", CRASH_KIND_BY_NODE[crash.node], crash.node,
                                          restart_after_s=crash.restart_after_s):
                    self._do_crash(crash.node, crash.restart_after_s)
            else:
                spec = plan.clock[index]
                if self.injector.scripted(f"plan.clock[{index}]", f"clock.{spec.kind}", spec.node,
                                          value=spec.value):
                    if spec.kind == "skew":
                        self._clocks[spec.node].skew(spec.value)
                    else:
                        self._clocks[spec.node].jump(spec.value)

    def _do_crash(self, name: str, restart_after_s: float) -> None:
        assert name not in self._down, f"{name} is already down"
        self._down[name] = None
        self._crash_cb(name)
        restart = self.sim.node(FAULTS_NODE).spawn(self._restart_later(name, restart_after_s), name=f"restart-{name}")
        self._down[name] = restart

    async def _restart_later(self, name: str, restart_after_s: float) -> None:
        await asyncio.sleep(restart_after_s)
        if self._down.get(name) is asyncio.current_task():
            del self._down[name]
            self._do_restart(name)

    def _do_restart(self, name: str) -> None:
        self.sim.trace.record(name, "proc.restart")
        self._restart_cb(name)
