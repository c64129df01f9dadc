"""Network faults end to end: plan -> injector -> NetworkFaultInjector -> SimNetwork."""
from __future__ import annotations

import asyncio

import pytest

from faults import FAULT_KINDS, FaultInjector, FaultPlan, FaultSpec, NetworkFaultInjector, heal, kinds_of_layer
from sim.network import SimNetwork
from sim.simulation import Simulation

OUTCOMES = (TimeoutError, ConnectionError)


def run(plan: FaultPlan, *, seed: int = 1, requests: int = 60, schedule=None):
    sim = Simulation(seed)
    injector = FaultInjector(plan, sim.rng.stream("faults"), sim.trace.record, lambda: sim.now_s, schedule=schedule)
    net = SimNetwork(sim, rng=sim.rng.stream("network"))
    net.fault_hook = NetworkFaultInjector(injector)
    effects: list[bytes] = []

    async def handler(path: str, body: bytes):
        await asyncio.sleep(0.001)
        effects.append(body)
        return 200, body

    net.register("riskcast", sim.node("riskcast"), handler)
    transport = net.transport(sim.node("omen"))
    outcomes: list[str] = []

    async def main():
        for i in range(requests):
            try:
                status, _ = await transport.post("http://riskcast/ingest", str(i).encode(), 0.5)
                outcomes.append(str(status))
            except OUTCOMES as error:
                outcomes.append(type(error).__name__)
            await asyncio.sleep(0.1)
        await asyncio.sleep(100.0)

    with sim:
        sim.run(main())
        return sim, injector, effects, outcomes


@pytest.mark.parametrize("kind", kinds_of_layer("net"))
def test_each_network_kind_fires_under_a_plan_that_enables_it_and_never_otherwise(kind: str) -> None:
    sim, injector, _, _ = run(FaultPlan(kinds={kind: FaultSpec(probability=0.3)}))
    assert injector.counters[kind] > 0
    fired = {e.fields["fault"] for e in sim.trace.events if e.kind == "fault"}
    assert fired == {kind}
    others = FaultPlan(kinds={name: FaultSpec(probability=0.3) for name in kinds_of_layer("net") if name != kind})
    sim, injector, _, _ = run(others)
    assert kind not in {e.fields["fault"] for e in sim.trace.events if e.kind == "fault"}


def test_dropped_responses_leave_effects_and_time_out_the_caller() -> None:
    sim, injector, effects, outcomes = run(FaultPlan(kinds={"net.drop_response": FaultSpec(probability=0.5)}))
    assert len(effects) == 60
    assert outcomes.count("TimeoutError") == injector.counters["net.drop_response"] > 0


def test_duplicates_deliver_twice() -> None:
    sim, injector, effects, outcomes = run(FaultPlan(kinds={"net.duplicate": FaultSpec(probability=0.5)}))
    assert len(effects) == 60 + injector.counters["net.duplicate"]
    assert outcomes == ["200"] * 60


def test_a_network_run_replayed_from_its_schedule_has_the_same_trace_hash() -> None:
    plan = FaultPlan(kinds={name: FaultSpec(probability=0.05) for name in kinds_of_layer("net")})
    sim, injector, _, outcomes = run(plan, seed=5, requests=200)
    assert len(injector.schedule) > 10
    replay_sim, replay_injector, _, replay_outcomes = run(plan, seed=5, requests=200, schedule=injector.schedule)
    assert replay_sim.trace.hash() == sim.trace.hash()
    assert replay_outcomes == outcomes


def test_after_heal_no_network_fault_fires_and_partitions_end() -> None:
    sim = Simulation(2)
    plan = FaultPlan(kinds={"net.partition": FaultSpec(probability=1.0, params={"duration_s": (1000.0, 1000.0),
                                                                                "refuse": (1, 1)})})
    injector = FaultInjector(plan, sim.rng.stream("faults"), sim.trace.record, lambda: sim.now_s)
    net = SimNetwork(sim, rng=sim.rng.stream("network"))
    net.fault_hook = NetworkFaultInjector(injector)

    async def ok(path, body):
        return 200, b""

    net.register("riskcast", sim.node("riskcast"), ok)
    transport = net.transport(sim.node("omen"))

    async def main():
        with pytest.raises(ConnectionRefusedError):
            await transport.post("http://riskcast/", b"", 1.0)
        heal(injector, network=net)
        return [(await transport.post("http://riskcast/", b"", 1.0))[0] for _ in range(20)]

    with sim:
        assert sim.run(main()) == [200] * 20
    assert injector.counters == {"net.partition": 1}


def test_every_catalogue_kind_has_a_driver() -> None:
    """A kind in the catalogue that no adapter ever decides would be 'on' yet never fire."""
    from faults.disk_faults import _KINDS_BY_OP
    from faults.net_faults import REQUEST_KINDS, RESPONSE_KINDS
    from faults.process_faults import CRASH_KIND_BY_NODE

    driven = set(REQUEST_KINDS) | set(RESPONSE_KINDS) | set(CRASH_KIND_BY_NODE.values())
    driven |= {kind for kinds in _KINDS_BY_OP.values() for kind in kinds}
    driven |= {"disk.bitflip", "clock.skew", "clock.jump"}
    assert driven == set(FAULT_KINDS)


def test_the_network_hook_asks_only_about_the_kinds_that_are_on() -> None:
    sim = Simulation(1)
    plan = FaultPlan(kinds={"net.duplicate": FaultSpec(probability=0.5), "net.delay_spike": FaultSpec(probability=0.5)})
    injector = FaultInjector(plan, sim.rng.stream("faults"), sim.trace.record, lambda: sim.now_s)
    asked: list[tuple[str, str]] = []
    decide_first = injector.decide_first

    def spy_first(point: str, kinds: tuple[str, ...], node: str):
        # one kind at a time, up to the first that fires: what decide_first promises to be
        for kind in kinds:
            asked.append((point, kind))
            found = decide_first(point, (kind,), node)
            if found is not None:
                return found
        return None

    injector.decide_first = spy_first  # type: ignore[method-assign]
    hook = NetworkFaultInjector(injector)
    for _ in range(20):
        hook.decide("net.request", "omen", "riskcast")
        hook.decide("net.response", "omen", "riskcast")
    assert {kind for _, kind in asked} == {"net.duplicate", "net.delay_spike"}
    assert {kind for point, kind in asked if point == "net.response"} == {"net.delay_spike"}
    sim.close()
    off = NetworkFaultInjector(FaultInjector(FaultPlan(), sim.rng.stream("faults"), sim.trace.record, lambda: 0.0))
    assert off.decide("net.request", "omen", "riskcast") is None and off._request_kinds == ()


def test_a_hook_with_no_network_kind_on_asks_nothing_and_the_world_leaves_its_network_without_one() -> None:
    from scenarios.world import World, WorldConfig

    sim = Simulation(0)
    off = NetworkFaultInjector(FaultInjector(FaultPlan(), sim.rng.stream("faults"), sim.trace.record, lambda: 0.0))
    assert not off.asks_anything
    assert all(off.decide(point, "omen", "riskcast") is None for point in ("net.request", "net.response"))
    sim.close()
    calm = World(WorldConfig(seed=0), FaultPlan())
    assert calm.network.fault_hook is None
    calm.sim.close()
    one_kind = FaultPlan(kinds={"net.delay_spike": FaultSpec(probability=0.5)})
    noisy = World(WorldConfig(seed=0), one_kind)
    assert isinstance(noisy.network.fault_hook, NetworkFaultInjector) and noisy.network.fault_hook.asks_anything
    noisy.sim.close()
