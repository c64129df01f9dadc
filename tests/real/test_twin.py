"""The simulated twin of a real run: the same workload and the equivalent fault plan."""
from __future__ import annotations

from scenarios.invariants import CHECKERS
from scenarios.real.nemesis import FAMILIES
from scenarios.real.run import RealRunConfig, planned_signals
from scenarios.real.twin import REAL_RUN_JUDGES, simulate, simulation_plan


def test_each_nemesis_family_maps_onto_the_simulations_fault_kinds() -> None:
    assert set(simulation_plan(frozenset({"kill"})).kinds) == {
        "proc.crash_omen", "proc.crash_riskcast", "proc.crash_reconciler"}
    assert set(simulation_plan(frozenset({"pause"})).kinds) == {"net.delay_spike"}
    assert set(simulation_plan(frozenset({"proxy"})).kinds) == {
        "net.delay_spike", "net.drop_request", "net.drop_response", "net.duplicate", "net.reset"}
    assert simulation_plan(frozenset()).kinds == {}


def test_the_simulated_twin_runs_the_real_runs_workload_under_its_faults_and_holds() -> None:
    config = RealRunConfig(seconds=30.0, seed=7, nemesis=frozenset(FAMILIES))
    result = simulate(config)
    assert result.signals == len(planned_signals(config))
    assert result.ok, [v.message for v in result.violations]
    assert result.faults.get("proc.crash_omen", 0) > 0 and result.faults.get("net.duplicate", 0) > 0


def test_the_table_names_what_a_real_run_judges_of_every_invariant() -> None:
    assert set(REAL_RUN_JUDGES) == set(CHECKERS)
