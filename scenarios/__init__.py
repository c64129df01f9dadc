"""scenarios: the composition root and the public face of the OMEN test bed.

What a user calls, importable from here (as `trio.testing` is the one face over private modules):

    from scenarios import run, RunResult, SCENARIOS, get_scenario, Scenario, ScenarioParams
    from scenarios import fault_plans, fault_schedules, workloads      # Hypothesis strategies
    from scenarios import CHECKERS, CheckContext, Violation, HarnessError

Everything else is an implementation module (`world`, `nodes`, `drivers`, `observers`, `phases`)
whose layout may change; `docs/architecture.md` maps it. The names load lazily, on first use, so
importing the package (the pytest plugin does, at every pytest start) costs nothing.
"""
from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS: dict[str, str] = {
    "run": "scenarios.runner",
    "RunResult": "scenarios.runner",
    "SCENARIOS": "scenarios.catalog",
    "Scenario": "scenarios.catalog",
    "ScenarioParams": "scenarios.catalog",
    "get_scenario": "scenarios.catalog",
    "UnknownScenarioError": "scenarios.catalog",
    "WorkloadSpec": "scenarios.workload",
    "fault_plans": "scenarios.strategies",
    "fault_schedules": "scenarios.strategies",
    "fault_specs": "scenarios.strategies",
    "workloads": "scenarios.strategies",
    "CHECKERS": "scenarios.invariants",
    "CheckContext": "scenarios.invariants",
    "Violation": "scenarios.invariants",
    "HarnessError": "scenarios.errors",
    "UsageError": "scenarios.errors",
    "TRACE_KINDS": "scenarios.trace_kinds",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'scenarios' has no attribute {name!r}; its public names: {', '.join(__all__)}")
    value = getattr(import_module(module), name)
    globals()[name] = value  # found directly next time
    return value


def __dir__() -> list[str]:
    return __all__
