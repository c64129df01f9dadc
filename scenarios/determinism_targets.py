"""Targets for the kernel's two-process determinism check, one per scenario.

`sim.determinism.check_determinism("scenarios.determinism_targets:trace_of_calm", seed)`
runs the scenario in a fresh interpreter and compares trace hashes. The functions are
made on demand (module `__getattr__`), so every scenario has one without a list to keep.
"""
from __future__ import annotations

from collections.abc import Callable

from sim.determinism import DeterminismReport, check_determinism
from sim.trace import Trace

PREFIX = "trace_of_"


def _trace_function(scenario: str) -> Callable[[int], Trace]:
    def trace_of(seed: int) -> Trace:
        from scenarios.runner import run

        return run(scenario, seed, keep_world=True).world.trace

    trace_of.__name__ = PREFIX + scenario
    return trace_of


def __getattr__(name: str) -> Callable[[int], Trace]:
    from scenarios.catalog import SCENARIOS

    if name.startswith(PREFIX) and name[len(PREFIX):] in SCENARIOS:
        return _trace_function(name[len(PREFIX):])
    raise AttributeError(name)


def check_scenario_determinism(scenario: str, seed: int) -> DeterminismReport:
    return check_determinism(f"{__name__}:{PREFIX}{scenario}", seed)
