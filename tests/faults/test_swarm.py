"""Swarm mode: a random subset of kinds at random intensities, drawn from the seed."""
from __future__ import annotations

import random

import pytest

from faults import FAULT_KINDS, FaultPlan, swarm_plan


def test_the_same_seed_draws_the_same_plan() -> None:
    assert swarm_plan(random.Random(5), duration_s=60.0) == swarm_plan(random.Random(5), duration_s=60.0)


def test_different_seeds_draw_different_subsets_and_every_kind_gets_its_turn() -> None:
    plans = [swarm_plan(random.Random(seed), duration_s=60.0) for seed in range(200)]
    subsets = {tuple(plan.kinds) for plan in plans}
    assert len(subsets) > 150
    seen = {kind for plan in plans for kind in plan.kinds}
    assert seen == set(FAULT_KINDS)


def test_a_swarm_plan_is_never_empty_and_stays_within_the_candidates() -> None:
    for seed in range(100):
        plan = swarm_plan(random.Random(seed), duration_s=10.0, kinds=["net.refused", "disk.enospc"])
        assert plan.kinds and set(plan.kinds) <= {"net.refused", "disk.enospc"}


def test_intensities_and_windows_are_valid_and_the_plan_round_trips() -> None:
    for seed in range(50):
        plan = swarm_plan(random.Random(seed), duration_s=30.0)
        for name, spec in plan.kinds.items():
            lo, hi = FAULT_KINDS[name].swarm_probability
            assert lo * 0.999 <= spec.probability <= hi * 1.001
            if spec.window_s is not None:
                assert 0.0 <= spec.window_s[0] <= spec.window_s[1] <= 30.0
        assert FaultPlan.from_json(plan.to_json()) == plan
        assert FaultPlan.from_toml(plan.to_toml()) == plan


def test_swarm_refuses_unknown_kinds_and_bad_durations() -> None:
    with pytest.raises(ValueError, match="unknown fault kinds"):
        swarm_plan(random.Random(1), duration_s=1.0, kinds=["disk.meltdown"])
    with pytest.raises(ValueError, match="duration_s"):
        swarm_plan(random.Random(1), duration_s=0.0)
