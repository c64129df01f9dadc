"""Every scenario holds every invariant on the correct system, seed after seed.

Seeds come from the omen-sim pytest plugin (`--omen-seeds`, `--omen-base-seed`,
`--omen-seed`): each scenario x seed is its own test id, and a failure's report ends
with the command that replays it.
"""
from __future__ import annotations


def test_scenario_holds_every_invariant(omen_scenario: str, omen_seed: int, omen_run) -> None:
    from scenarios.catalog import get_scenario
    from scenarios.invariants import CHECKERS

    result = omen_run(omen_scenario, omen_seed)
    assert result.signals > 0
    own = {name for name, _ in get_scenario(omen_scenario).checkers}
    assert set(result.invariants) == set(CHECKERS) | own, "every invariant, and the scenario's own, is judged"
    violated = {v.invariant for v in result.violations}
    assert {name for name, counts in result.invariants.items() if counts["violated"]} == violated
    assert result.ok, "\n".join(f"[{v.invariant}] {v.message}" for v in result.violations)


def test_the_same_seed_gives_the_same_trace_hash() -> None:
    from scenarios.runner import run

    first = run("chaos", 11)
    second = run("chaos", 11)
    assert first.trace_hash == second.trace_hash
    assert first.trace_events == second.trace_events


def test_different_seeds_give_different_traces() -> None:
    from scenarios.runner import run

    assert run("hot_path_drops", 1).trace_hash != run("hot_path_drops", 2).trace_hash


def test_a_fixed_plan_leaves_the_workload_unchanged() -> None:
    """Plans and workloads come from separate streams: shrinking a plan keeps the signals."""
    from faults import FaultPlan
    from scenarios.runner import run

    calm = run("hot_path_drops", 5, plan=FaultPlan(), keep_world=True)
    emitted = [e.fields["signal_id"] for e in calm.world.trace.events if e.kind == "emit.start"]
    stormy = run("hot_path_drops", 5, keep_world=True)
    emitted_stormy = [e.fields["signal_id"] for e in stormy.world.trace.events if e.kind == "emit.start"]
    assert emitted and emitted == emitted_stormy
