"""One exception base for the harness's errors about its input; the CLI catches that one type."""
from __future__ import annotations

import pytest

from faults import FaultPlan
from scenarios.cli import EXIT_USAGE, main
from sim.errors import HarnessError


def test_every_input_error_of_the_harness_derives_from_the_one_base() -> None:
    from faults.plan import FaultPlanError
    from faults.schedule import FaultScheduleError
    from scenarios.bugzoo.registry import UnknownBugError
    from scenarios.catalog import UnknownScenarioError
    from scenarios.errors import UsageError
    from scenarios.minimize import MinimizeError
    from scenarios.repro import ReproError
    from scenarios.sweep import SeedRangeError
    from scenarios.trace_kinds import UnknownTraceKindError
    from sim.trace import TraceKindError

    for error in (FaultPlanError, FaultScheduleError, UnknownBugError, UnknownScenarioError, UsageError,
                  MinimizeError, ReproError, SeedRangeError, UnknownTraceKindError, TraceKindError):
        assert issubclass(error, HarnessError), error.__name__


def test_an_unknown_scenario_raises_the_base_type_from_the_library() -> None:
    from scenarios.runner import run

    with pytest.raises(HarnessError, match="known scenarios"):
        run("no_such_scenario", 0, plan=FaultPlan())


@pytest.mark.parametrize("flags, message", [(["--max-seeds", "0"], "--max-seeds"), (["--trials", "0"], "--trials"),
                                            (["--workers", "0"], "--workers")])
def test_hunt_usage_errors_are_raised_and_reported_once_by_the_cli(
        flags: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    from scenarios.errors import UsageError
    from scenarios.hunt import hunt_command
    from scenarios.cli import build_parser

    args = build_parser().parse_args(["hunt", "--all", *flags])
    with pytest.raises(UsageError, match=message):
        hunt_command(args)
    assert main(["hunt", "--all", *flags]) == EXIT_USAGE
    assert message in capsys.readouterr().err
