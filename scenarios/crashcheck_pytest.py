"""The pytest face of crashcheck: a fixture, and a test maker with one test id per crash point.

    def test_settings_survive_crashes(crashcheck):
        crashcheck(workload, recover, check, profile="posix", states_max=10_000)

    test_settings = crashcheck_test(workload, recover, check, per_crash_point=True)
    # -> test_settings[op3-fsync], test_settings[op7-fsync_dir], ..., test_settings[end]

A failure prints the first violating crash state (crash point, entry and data ops kept and
dropped, torn regions, the check's message) and the command that replays it; the repro file
goes to the test's tmp_path. pyfakefs is imported only when a check runs.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Callable

import pytest

VIOLATIONS_SHOWN_MAX = 3


class CrashcheckFailed(AssertionError):
    """A crash state broke the check's promise (the message holds the state and the replay command)."""


def _spec_of(function: Callable[..., Any]) -> str | None:
    """MODULE:NAME for a module-level callable or a method of a module-level object, else None."""
    import sys

    module_name = getattr(function, "__module__", None)
    module = sys.modules.get(module_name or "")
    if module is None:
        return None
    qualname = getattr(function, "__qualname__", "")
    if "<locals>" not in qualname and getattr(module, qualname.split(".")[0], None) is not None \
            and "." not in qualname:
        return f"{module_name}:{qualname}"
    name = getattr(function, "__name__", None)
    for attribute, value in sorted(vars(module).items()):
        if name and getattr(value, name, None) == function:
            return f"{module_name}:{attribute}.{name}"
    return None


def _failure_text(result: Any, workload: Callable, recover: Callable, check: Callable, repro_dir: Path) -> str:
    from sim.crashcheck.repro import CrashRepro
    from sim.crashcheck.tree import state_tree

    lines = [f"crashcheck: {len(result.violations)} of {result.states} crash states broke the check "
             f"({result.crash_points} crash points, profile {result.profile})"]
    specs = (_spec_of(workload) or "<workload>", _spec_of(recover), _spec_of(check))
    for number, violation in enumerate(result.violations[:VIOLATIONS_SHOWN_MAX], start=1):
        lines.append(violation.report())
        path = repro_dir / f"crashcheck-op{violation.crash_point}-{number}.json"
        CrashRepro(specs[0], specs[1] or "<recover>", specs[2] or "<check>", result.profile,
                   violation.crash_point, violation.op, violation.message, violation.acked,
                   state_tree(violation.state), violation.to_json()).save(path)
        if specs[1] and specs[2]:
            lines.append(f"  replay with: omen-sim replay {path}")
        else:
            lines.append(f"  repro: {path} (recover and check must be module-level callables to replay it)")
    return "\n".join(lines)


def run_crashcheck(repro_dir: Path, workload: Callable, recover: Callable, check: Callable,
                   **options: Any) -> Any:
    """Run crashcheck; raise CrashcheckFailed with the first states and replay commands on a violation."""
    from sim.crashcheck import crashcheck as run

    result = run(workload, recover, check, **options)
    if not result.ok:
        raise CrashcheckFailed(_failure_text(result, workload, recover, check, repro_dir))
    return result


@pytest.fixture
def crashcheck(tmp_path: Path) -> Callable[..., Any]:
    """`crashcheck(workload, recover, check, profile=..., states_max=..., samples=..., seed=...)`."""

    def _crashcheck(workload: Callable, recover: Callable, check: Callable, *, samples: int | None = None,
                    **options: Any) -> Any:
        if samples is not None:
            options.update(exhaustive=False, samples=samples)
        return run_crashcheck(tmp_path, workload, recover, check, **options)

    return _crashcheck


def _point_id(point: int, op: str) -> str:
    if op == "end of workload":
        return "end"
    return f"op{point}-" + re.sub(r"[^A-Za-z0-9_]+", "_", op.split(" ")[0])


def crashcheck_test(workload: Callable, recover: Callable, check: Callable, *, per_crash_point: bool = False,
                    **options: Any) -> Callable[..., None]:
    """A test function; with `per_crash_point`, one test id per crash point (recorded at collection)."""
    if not per_crash_point:
        def test_crash_states(tmp_path: Path) -> None:
            run_crashcheck(tmp_path, workload, recover, check, **options)

        return test_crash_states

    from sim.crashcheck.run import list_crash_points

    points = list_crash_points(workload)

    @pytest.mark.parametrize("crash_point", [point for point, _ in points],
                             ids=[_point_id(point, op) for point, op in points])
    def test_crash_point(crash_point: int, tmp_path: Path) -> None:
        run_crashcheck(tmp_path, workload, recover, check, crash_points=[crash_point], **options)

    return test_crash_point
