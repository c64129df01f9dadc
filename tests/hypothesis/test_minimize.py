"""Issue 9: a failing run shrinks to the smallest fault schedule that still fails the same way.

The minimized repro is an ordinary repro: `omen-sim replay` runs it from its schedule and gets the
same trace hash, and the same invariant fails.
"""
from __future__ import annotations

import json
import logging

import pytest

from faults import FaultPlan, FaultSchedule, ScheduleEntry
from scenarios.cli import main
from scenarios.minimize import Candidate, MinimizeError, ddmin, minimize, shrink_params, simplest_value
from scenarios.repro import Repro, repro_from_result
from scenarios.runner import run

SMALL = {"workload": {"signal_count": 60}}

# (bug, scenario, overrides): the first seed whose swarm run fails with several faults fired is used.
FAILING_SWARM_RUNS = [
    ("append_after_torn_tail", "ledger_crash_tail", None),
    ("short_write_ignored", "ledger_crash_tail", SMALL),
    ("sequence_in_unsynced_sidecar", "rollover_sequence", SMALL),
    ("replace_without_fsync", "power_loss_metadata", SMALL),
]
FAULTS_MINIMAL_MAX = 3
FAULTS_ORIGINAL_MIN = 3
SEEDS_MAX = 40


@pytest.fixture(autouse=True)
def _quiet_system_logs():
    logging.disable(logging.CRITICAL)
    yield
    logging.disable(logging.NOTSET)


def failing_repro(bug: str, scenario: str, seed: int, overrides: dict | None) -> Repro:
    result = run(scenario, seed, bug=bug, overrides=overrides)
    assert not result.ok, f"{bug} on {scenario} seed {seed} should fail"
    return repro_from_result(result, commit="test")


def first_failing_repro(bug: str, scenario: str, overrides: dict | None, faults_min: int) -> Repro:
    """The first seed whose swarm run fails with at least `faults_min` faults fired."""
    for seed in range(SEEDS_MAX):
        result = run(scenario, seed, bug=bug, overrides=overrides)
        if not result.ok and len(result.schedule) >= faults_min:
            return repro_from_result(result, commit="test")
    raise AssertionError(f"{bug} on {scenario}: no seed below {SEEDS_MAX} fails with {faults_min}+ faults")


# ---- delta debugging, on a predicate alone ------------------------------------------------------

def items(count: int) -> list[tuple[str, int]]:
    return [("schedule", i) for i in range(count)]


def test_ddmin_finds_the_two_faults_that_together_cause_the_failure():
    calls = []

    def fails(subset):
        calls.append(len(subset))
        return ("schedule", 3) in subset and ("schedule", 11) in subset

    assert ddmin(items(16), fails) == [("schedule", 3), ("schedule", 11)]
    assert len(calls) < 60


def test_ddmin_returns_nothing_when_the_failure_needs_no_fault_at_all():
    assert ddmin(items(9), lambda subset: True) == []


def test_ddmin_result_is_one_minimal_removing_any_single_fault_makes_it_pass():
    needed = {("schedule", 0), ("schedule", 5), ("schedule", 6)}
    fails = lambda subset: needed <= set(subset)  # noqa: E731
    found = ddmin(items(7), fails)
    assert set(found) == needed
    assert all(not fails([item for item in found if item != drop]) for drop in found)


def test_parameters_shrink_towards_their_simplest_value_while_the_failure_holds():
    entry = ScheduleEntry(point="net.request", node="omen", occurrence=3, kind="net.delay_spike",
                          params={"delay_s": 4.0})
    candidate = Candidate(FaultSchedule(entries=[entry]), plan=FaultPlan())
    shrunk = shrink_params(candidate, lambda c: c.schedule.entries[0].params["delay_s"] >= 1.0)
    delay_s = shrunk.schedule.entries[0].params["delay_s"]
    assert 1.0 <= delay_s < 1.1


def test_the_simplest_clock_skew_rate_is_one_and_a_jump_is_zero():
    assert simplest_value("clock.skew", "rate") == 1.0
    assert simplest_value("clock.jump", "delta_s") == 0.0
    assert simplest_value("net.partition", "refuse") == 0


# ---- real runs of the bug zoo ------------------------------------------------------------------

@pytest.mark.parametrize("bug,scenario,overrides", FAILING_SWARM_RUNS, ids=[case[0] for case in FAILING_SWARM_RUNS])
def test_a_failing_swarm_run_minimizes_to_a_few_faults_that_fail_the_same_invariant_and_replay(
        bug, scenario, overrides):
    repro = first_failing_repro(bug, scenario, overrides, FAULTS_ORIGINAL_MIN)
    original_faults = len(repro.schedule.entries)
    outcome = minimize(repro, max_runs=150, commit="test")
    assert outcome.faults_original == original_faults
    assert outcome.faults_minimal <= FAULTS_MINIMAL_MAX
    assert outcome.faults_minimal < original_faults
    assert outcome.invariant == repro.violations[0]["invariant"]
    assert outcome.invariant in {v.invariant for v in outcome.result.violations}
    minimal = outcome.repro
    assert minimal.replay_schedule and minimal.plan.kinds == {}
    assert len(minimal.schedule.entries) == outcome.faults_minimal
    again = run(minimal.scenario, minimal.seed, plan=minimal.plan, overrides=minimal.params,
                schedule=minimal.schedule, bug=minimal.bug)
    assert again.trace_hash == minimal.trace_hash
    assert outcome.invariant in {v.invariant for v in again.violations}


def test_a_failure_that_needs_no_fault_minimizes_to_an_empty_schedule():
    repro = first_failing_repro("per_segment_sequence", "rollover_sequence", SMALL, 1)
    outcome = minimize(repro, max_runs=20, commit="test")
    assert outcome.faults_minimal == 0 and outcome.runs == 2


def test_minimize_stops_within_its_run_budget_and_returns_the_best_so_far():
    repro = failing_repro("append_after_torn_tail", "ledger_crash_tail", 2, None)
    outcome = minimize(repro, max_runs=3, commit="test")
    assert outcome.runs == 3
    assert outcome.budget_exhausted
    assert outcome.faults_minimal <= outcome.faults_original
    assert outcome.invariant in {v.invariant for v in outcome.result.violations}


def test_minimize_stops_when_its_wall_clock_budget_is_spent():
    ticks = iter(range(1000))
    repro = failing_repro("append_after_torn_tail", "ledger_crash_tail", 2, None)
    outcome = minimize(repro, max_seconds=2.0, clock=lambda: float(next(ticks)), commit="test")
    assert outcome.budget_exhausted and outcome.runs <= 2


def test_a_repro_without_a_violation_is_refused_with_a_clear_error():
    result = run("calm", 0, overrides=SMALL)
    with pytest.raises(MinimizeError, match="no violation"):
        minimize(repro_from_result(result, commit="test"))


def test_a_repro_without_a_schedule_is_refused_with_a_clear_error():
    repro = failing_repro("per_segment_sequence", "rollover_sequence", 0, SMALL)
    with pytest.raises(MinimizeError, match="no recorded fault schedule"):
        minimize(repro.model_copy(update={"schedule": None}))


def test_max_seconds_without_a_clock_is_refused():
    repro = failing_repro("per_segment_sequence", "rollover_sequence", 0, SMALL)
    with pytest.raises(MinimizeError, match="clock"):
        minimize(repro, max_seconds=5.0)


# ---- the CLI -----------------------------------------------------------------------------------

def test_omen_sim_minimize_writes_a_minimal_repro_that_omen_sim_replay_reproduces(tmp_path, capsys):
    source = failing_repro("append_after_torn_tail", "ledger_crash_tail", 2, None).save(tmp_path / "failing.json")
    out = tmp_path / "minimal.json"
    assert main(["minimize", str(source), "--out", str(out), "--max-runs", "100"]) == 0
    captured = capsys.readouterr()
    assert "7 faults -> 1 still violate [ledger_first]" in captured.out
    assert "minimize: run 1/100" in captured.err
    assert f"omen-sim replay {out}" in captured.err
    minimal = Repro.load(out)
    assert minimal.replay_schedule and len(minimal.schedule.entries) == 1
    assert main(["replay", str(out), "--json"]) == 1  # the same invariant still fails ...
    document = json.loads(capsys.readouterr().out)
    assert document["same"] is True  # ... with the recorded trace hash
    assert "ledger_first" in {v["invariant"] for v in document["violations"]}


def test_omen_sim_minimize_default_output_sits_beside_the_input(tmp_path, capsys):
    source = first_failing_repro("per_segment_sequence", "rollover_sequence", SMALL, 1).save(tmp_path / "r.json")
    assert main(["minimize", str(source), "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["out"] == str(tmp_path / "r-min.json")
    assert document["faults_minimal"] == 0
    assert (tmp_path / "r-min.json").exists()


def test_omen_sim_minimize_of_a_passing_repro_exits_2_with_advice(tmp_path, capsys):
    source = repro_from_result(run("calm", 0, overrides=SMALL), commit="t").save(tmp_path / "ok.json")
    assert main(["minimize", str(source)]) == 2
    assert "nothing to minimize" in capsys.readouterr().err


def test_old_repros_without_the_replay_schedule_field_still_load(tmp_path):
    repro = failing_repro("per_segment_sequence", "rollover_sequence", 0, SMALL)
    data = json.loads(repro.model_dump_json())
    del data["replay_schedule"]
    path = tmp_path / "old.json"
    path.write_text(json.dumps(data))
    assert Repro.load(path).replay_schedule is False
