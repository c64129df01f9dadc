"""The public strategies draw only valid values, cover the catalogue, and shrink to the simplest."""
from __future__ import annotations

import pytest
from hypothesis import find, given, settings
from hypothesis import strategies as st

from faults import FAULT_KINDS, FaultPlan, FaultSchedule
from scenarios.strategies import fault_plans, fault_schedules, fault_specs, workloads
from scenarios.workload import WorkloadSpec


@given(plan=fault_plans())
def test_every_drawn_fault_plan_is_valid_and_round_trips_through_json(plan):
    assert isinstance(plan, FaultPlan)
    assert set(plan.kinds) <= set(FAULT_KINDS)
    assert FaultPlan.from_json(plan.to_json()) == plan


@given(plan=fault_plans(scripted=True, duration_s=60.0))
def test_scripted_crashes_and_clock_faults_fall_inside_the_run(plan):
    assert all(crash.at_s <= 60.0 for crash in plan.crashes)
    assert all(clock.at_s <= 60.0 for clock in plan.clock)
    assert FaultPlan.from_toml(plan.to_toml()) == plan


@given(plan=fault_plans(kinds=["disk.crash_at_op", "net.partition"]))
def test_a_plan_drawn_over_some_kinds_enables_only_those(plan):
    assert set(plan.kinds) <= {"disk.crash_at_op", "net.partition"}


@given(data=st.data())
def test_a_fault_spec_keeps_its_parameters_inside_the_kinds_limits(data):
    kind = data.draw(st.sampled_from(sorted(FAULT_KINDS)))
    spec = data.draw(fault_specs(kind))
    for name, (lo, hi) in spec.params.items():
        limit_lo, limit_hi = FAULT_KINDS[kind].params[name].limit
        assert limit_lo <= lo <= hi <= limit_hi
    FaultPlan(kinds={kind: spec})  # the plan validator agrees


@given(workload=workloads(signal_count_max=50))
def test_every_drawn_workload_is_a_valid_workload_spec(workload):
    assert isinstance(workload, WorkloadSpec)
    assert 1 <= workload.signal_count <= 50
    assert WorkloadSpec.model_validate(workload.model_dump()) == workload


@given(schedule=fault_schedules(max_entries=6))
def test_every_drawn_schedule_is_valid_has_no_duplicate_keys_and_round_trips(schedule):
    assert isinstance(schedule, FaultSchedule) and len(schedule) <= 6
    keys = [entry.key() for entry in schedule.entries]
    assert len(keys) == len(set(keys))
    for entry in schedule.entries:
        info = FAULT_KINDS[entry.kind]
        assert set(entry.params) == set(info.params)
        for name, value in entry.params.items():
            assert info.params[name].lo <= value <= info.params[name].hi
    assert FaultSchedule.from_json(schedule.to_json()) == schedule


def test_a_plan_shrinks_to_the_fault_free_plan_when_any_plan_will_do():
    assert find(fault_plans(), lambda plan: True) == FaultPlan()


def test_a_plan_that_must_crash_the_disk_shrinks_to_that_one_kind():
    plan = find(fault_plans(), lambda plan: "disk.crash_at_op" in plan.kinds, settings=settings(database=None))
    assert list(plan.kinds) == ["disk.crash_at_op"]
    assert plan.kinds["disk.crash_at_op"].window_s is None


def test_a_workload_shrinks_to_one_plain_signal():
    workload = find(workloads(), lambda w: True)
    assert workload.signal_count == 1 and workload.late_fraction == 0.0 and workload.reemit_fraction == 0.0


def test_unknown_kinds_are_refused_with_the_list_of_known_ones():
    with pytest.raises(ValueError, match="known kinds"):
        fault_plans(kinds=["disk.melt"])
    with pytest.raises(ValueError, match="known kinds"):
        fault_schedules(kinds=["net.teleport"])
