"""ProcessFaults: crashes followed by restarts, scripted crashes and clock faults, heal."""
from __future__ import annotations

import asyncio

import pytest

from faults import (ClockSpec, CrashSpec, FaultInjector, FaultPlan, FaultSpec, ProcessFaults, heal)
from sim.simulation import Simulation


class World:
    def __init__(self, plan: FaultPlan, seed: int = 1, schedule=None) -> None:
        self.sim = Simulation(seed)
        self.injector = FaultInjector(plan, self.sim.rng.stream("faults"), self.sim.trace.record,
                                      lambda: self.sim.now_s, schedule=schedule)
        self.log: list[tuple[float, str, str]] = []
        self.clocks = {"omen": self.sim.node("omen").clock, "riskcast": self.sim.node("riskcast").clock}
        self.process = ProcessFaults(self.injector, self.sim, crash=self.crash, restart=self.restart,
                                     clocks=self.clocks)

    def crash(self, name: str) -> None:
        self.log.append((self.sim.now_s, "crash", name))

    def restart(self, name: str) -> None:
        self.log.append((self.sim.now_s, "restart", name))

    def run(self, duration_s: float, then_s: float = 0.0) -> None:
        async def main():
            self.process.start(duration_s)
            await asyncio.sleep(duration_s + then_s)

        with self.sim:
            self.sim.run(main())


@pytest.mark.parametrize("node", ["omen", "riskcast", "reconciler"])
def test_each_process_crash_kind_fires_under_a_plan_that_enables_it_and_is_followed_by_a_restart(node) -> None:
    kind = f"proc.crash_{node}"
    plan = FaultPlan(kinds={kind: FaultSpec(probability=0.2, params={"restart_after_s": (1.0, 2.0)})})
    world = World(plan)
    world.run(60.0, then_s=5.0)
    crashes = [t for t, what, name in world.log if what == "crash"]
    restarts = [t for t, what, name in world.log if what == "restart"]
    assert crashes and len(crashes) == len(restarts) == world.injector.counters[kind]
    assert {name for _, _, name in world.log} == {node}
    for crashed_s, restarted_s in zip(crashes, restarts):
        assert 1.0 <= restarted_s - crashed_s <= 2.0 + 1e-9


def test_no_process_crash_fires_under_a_plan_that_does_not_enable_it() -> None:
    world = World(FaultPlan(kinds={"net.refused": FaultSpec(probability=1.0)}))
    world.run(60.0)
    assert world.log == []
    assert [e for e in world.sim.trace.events if e.kind == "fault"] == []


def test_a_crashed_node_is_not_crashed_again_before_its_restart() -> None:
    plan = FaultPlan(kinds={"proc.crash_omen": FaultSpec(probability=1.0, params={"restart_after_s": (5.0, 5.0)})},
                     tick_s=1.0)
    world = World(plan)
    world.run(20.0, then_s=10.0)
    whats = [what for _, what, _ in world.log]
    assert whats == ["crash", "restart"] * (len(whats) // 2)


@pytest.mark.parametrize(("kind", "check"), [
    ("clock.skew", lambda clock: clock.rate != 1.0),
    ("clock.jump", lambda clock: abs(clock.offset_s) > 1.0),
])
def test_each_clock_kind_fires_under_a_plan_that_enables_it(kind, check) -> None:
    world = World(FaultPlan(kinds={kind: FaultSpec(probability=0.5)}))
    world.run(10.0)
    assert world.injector.counters[kind] > 0
    assert any(check(clock) for clock in world.clocks.values())


def test_a_clock_can_jump_backwards() -> None:
    plan = FaultPlan(kinds={"clock.jump": FaultSpec(probability=1.0, params={"delta_s": (-100.0, -50.0)})}, tick_s=1.0)
    world = World(plan)
    world.run(1.0)
    assert world.clocks["omen"].offset_s <= -50.0


def test_scripted_crashes_and_clock_faults_happen_at_their_times() -> None:
    plan = FaultPlan(crashes=[CrashSpec(node="riskcast", at_s=3.0, restart_after_s=2.0)],
                     clock=[ClockSpec(node="omen", at_s=4.0, kind="jump", value=-3600.0),
                            ClockSpec(node="riskcast", at_s=1.0, kind="skew", value=2.0)])
    world = World(plan)
    world.run(10.0)
    assert world.log == [(3.0, "crash", "riskcast"), (5.0, "restart", "riskcast")]
    assert world.clocks["omen"].offset_s == pytest.approx(-3600.0)
    assert world.clocks["riskcast"].rate == 2.0
    assert world.injector.counters == {"proc.crash_riskcast": 1, "clock.jump": 1, "clock.skew": 1}
    assert len(world.injector.schedule) == 0  # scripted: the plan re-creates them


def test_a_plan_naming_an_unknown_node_is_refused_at_start() -> None:
    world = World(FaultPlan(crashes=[CrashSpec(node="database", at_s=1.0)]))
    with pytest.raises(ValueError, match="crashable nodes"):
        world.process.start(10.0)
    world.sim.close()


def test_heal_stops_faults_and_restarts_down_nodes_at_once() -> None:
    plan = FaultPlan(crashes=[CrashSpec(node="omen", at_s=1.0, restart_after_s=100.0)],
                     kinds={"proc.crash_riskcast": FaultSpec(probability=1.0, params={"restart_after_s": (100.0, 100.0)})})
    world = World(plan)

    async def main():
        world.process.start(1000.0)
        await asyncio.sleep(2.0)
        assert sorted(world.process.down) == ["omen", "riskcast"]
        heal(world.injector, process=world.process)
        assert world.process.down == []
        await asyncio.sleep(500.0)

    with world.sim:
        world.sim.run(main())
    restarts = [(t, name) for t, what, name in world.log if what == "restart"]
    assert sorted(restarts) == [(2.0, "omen"), (2.0, "riskcast")]
    assert len(world.log) == 4  # nothing fired after heal
    assert world.sim.trace.events[-1].kind == "faults.heal"


def test_a_run_replayed_from_its_schedule_has_the_same_trace_hash() -> None:
    plan = FaultPlan(kinds={"proc.crash_omen": FaultSpec(probability=0.05),
                            "proc.crash_reconciler": FaultSpec(probability=0.05),
                            "clock.skew": FaultSpec(probability=0.05),
                            "clock.jump": FaultSpec(probability=0.05)},
                     crashes=[CrashSpec(node="riskcast", at_s=7.0)])
    first = World(plan, seed=11)
    first.run(100.0)
    assert len(first.injector.schedule) > 5
    replay = World(plan, seed=11, schedule=first.injector.schedule)
    replay.run(100.0)
    assert replay.sim.trace.hash() == first.sim.trace.hash()
    assert replay.log == first.log
