"""The collector settings of a process that runs simulations change its speed, never what a run records."""
from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from scenarios.gc_tuning import YOUNG_COLLECTION_ALLOCATIONS, tune_gc_for_runs
from scenarios.runner import run


@pytest.fixture
def restored_gc() -> Iterator[None]:
    threshold = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)


def test_tuning_freezes_what_exists_and_collects_the_young_generation_less_often(restored_gc: None) -> None:
    tune_gc_for_runs()
    assert gc.get_threshold()[0] == YOUNG_COLLECTION_ALLOCATIONS > 700
    assert gc.get_freeze_count() > 0


@pytest.mark.parametrize("scenario, seed", [("chaos", 3), ("power_loss_metadata", 1)])
def test_a_run_records_the_same_trace_under_either_setting(scenario: str, seed: int, restored_gc: None) -> None:
    gc.set_threshold(1, 1, 1)  # a collection at nearly every allocation: the most it could move
    eager = run(scenario, seed).trace_hash
    tune_gc_for_runs()
    assert run(scenario, seed).trace_hash == eager
