"""The errors `omen-sim` raises about its input share one base: `HarnessError`.

Catch `HarnessError` to handle every one of them (the CLI does, and exits 2); each says what to do
instead. Each is defined where it belongs (`faults.plan.FaultPlanError`, `faults.schedule.
FaultScheduleError`, `scenarios.catalog.UnknownScenarioError`, `scenarios.bugzoo.registry.
UnknownBugError`, `scenarios.sweep.SeedRangeError`, `scenarios.repro.ReproError`,
`scenarios.minimize.MinimizeError`, `sim.trace.TraceKindError`,
`scenarios.trace_kinds.UnknownTraceKindError`), and keeps the builtin type it always had.
This module imports nothing heavy: the CLI loads it before it knows which command runs.
"""
from __future__ import annotations

from sim.errors import HarnessError


class UsageError(HarnessError):
    """Bad usage of a command (a flag out of range, a missing argument): exit 2 with this message."""


__all__ = ["HarnessError", "UsageError"]
