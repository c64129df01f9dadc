"""Scenario fuzzing with @given: the clean system holds its invariants under drawn fault plans and
schedules; a planted bug is found by the same fuzzing; the `ci` profile is deterministic."""
from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, find, given, settings

from faults import FaultPlan
from scenarios.runner import run
from scenarios.strategies import fault_plans, fault_schedules, workloads

NIGHTLY = os.environ.get("HYPOTHESIS_PROFILE") == "nightly"
SCENARIO_EXAMPLES = 200 if NIGHTLY else 12
SMALL = {"workload": {"signal_count": 40}}
ROOT = Path(__file__).resolve().parents[2]
FUZZ = settings(max_examples=SCENARIO_EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(autouse=True, scope="module")
def _quiet_system_logs():
    logging.disable(logging.CRITICAL)
    yield
    logging.disable(logging.NOTSET)


def messages(result) -> list[str]:
    return [f"[{v.invariant}] {v.message}" for v in result.violations]


@FUZZ
@given(plan=fault_plans(kinds=["disk.crash_at_op", "disk.short_write", "proc.crash_omen"], duration_s=40.0))
def test_the_ledger_keeps_every_promise_under_any_plan_of_crashes_and_short_writes(plan):
    result = run("ledger_crash_tail", 0, plan=plan, overrides={**SMALL, "duration_s": 40.0})
    assert result.ok, messages(result)


@FUZZ
@given(plan=fault_plans(kinds=["net.drop_request", "net.drop_response", "net.http_5xx", "net.duplicate"],
                        duration_s=40.0))
def test_delivery_stays_exactly_once_under_any_plan_of_network_faults(plan):
    result = run("hot_path_drops", 0, plan=plan, overrides={**SMALL, "duration_s": 40.0})
    assert result.ok, messages(result)


@FUZZ
@given(workload=workloads(signal_count_max=40, late=False))
def test_a_calm_run_holds_for_any_workload(workload):
    result = run("calm", 0, overrides={"workload": workload.model_dump(), "duration_s": 30.0})
    assert result.ok, messages(result)


@FUZZ
@given(schedule=fault_schedules(kinds=["disk.crash_at_op"], max_entries=3, occurrence_max=120))
def test_the_ledger_survives_any_explicit_schedule_of_power_losses(schedule):
    result = run("ledger_crash_tail", 0, plan=FaultPlan(), schedule=schedule, overrides=SMALL)
    assert result.ok, messages(result)
    assert len(result.schedule) <= len(schedule)  # only listed faults fire, the rng is off


def test_fuzzing_plans_finds_a_planted_ledger_bug_and_shrinks_the_plan():
    def fails(plan: FaultPlan) -> bool:
        return not run("ledger_crash_tail", 0, plan=plan, overrides=SMALL, bug="short_write_ignored").ok

    plan = find(fault_plans(kinds=["disk.short_write", "proc.crash_omen", "net.delay_spike"], duration_s=40.0),
                fails, settings=settings(max_examples=40, database=None, derandomize=True, deadline=None))
    assert "disk.short_write" in plan.kinds
    assert len(plan.kinds) <= 2


def test_the_ci_profile_draws_the_same_examples_in_two_fresh_processes(tmp_path):
    probe = tmp_path / "test_probe.py"
    probe.write_text(
        "from hypothesis import given\n"
        "from scenarios.strategies import fault_plans\n"
        "@given(plan=fault_plans())\n"
        "def test_probe(plan):\n"
        "    print('PLAN', plan.model_dump_json())\n", encoding="utf-8")
    profiles_conftest = (ROOT / "tests" / "conftest.py").read_text(encoding="utf-8")
    (tmp_path / "conftest.py").write_text(profiles_conftest, encoding="utf-8")
    outputs = []
    for hash_seed in ("1", "2"):
        env = {**os.environ, "HYPOTHESIS_PROFILE": "ci", "PYTHONHASHSEED": hash_seed,
               "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "system")])}
        completed = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-s", "-p", "no:cacheprovider", "--rootdir", str(tmp_path),
             str(probe)], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300, check=False)
        assert completed.returncode == 0, completed.stdout + completed.stderr
        plans = [line for line in completed.stdout.splitlines() if line.startswith("PLAN")]
        assert len(plans) >= 20
        outputs.append(plans)
    assert outputs[0] == outputs[1]
