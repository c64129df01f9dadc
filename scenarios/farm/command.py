"""The CLI glue of the farm: `omen-sim sweep --dask ...` / `--resume ...` and `omen-sim hunt --dask ...`."""
from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from scenarios.farm.arguments import DaskTarget, DaskTargetError, parse_dask_target
from scenarios.farm.journal import JournalError, SweepPlan

JOURNAL_NAME = "farm-journal.jsonl"


def _usage_error(message: str) -> Exception:
    from scenarios.cli import UsageError

    return UsageError(message)


def _require_dask() -> None:
    try:
        import distributed  # noqa: F401
    except ImportError as error:
        raise _usage_error("--dask needs Dask's `distributed`: pip install 'omen-testbed[farm]'") from error


def _target(args: argparse.Namespace) -> DaskTarget:
    from scenarios.sweep import default_workers

    try:
        return parse_dask_target(args.dask, default_local_workers=default_workers())
    except DaskTargetError as error:
        raise _usage_error(str(error)) from error


def _limits(args: argparse.Namespace) -> Any:
    from scenarios.farm.engine import FarmError, FarmLimits

    try:
        return FarmLimits(runs_per_worker=args.runs_per_worker, run_budget_s=args.run_budget_s)
    except FarmError as error:
        raise _usage_error(str(error)) from error


def _sweep_plan(args: argparse.Namespace) -> SweepPlan:
    from scenarios.cli import _scenario_names, sweep_seeds

    seeds, _ = sweep_seeds(args)  # the local sweep's rule: fixed seeds, or a fresh base seed printed
    if args.bug is not None:
        from scenarios.bugzoo import get_bug

        get_bug(args.bug)
    return SweepPlan(tuple(_scenario_names(args.scenario)), seeds, args.bug, str(args.repro_dir))


def farm_sweep_command(args: argparse.Namespace, report: Callable[..., int]) -> int:
    """Check everything the user typed, then connect, then sweep; `report` is the local sweep's report."""
    if args.dask is None:
        raise _usage_error("--resume finishes a farm sweep: add --dask local[:N] or --dask ADDRESS")
    target = _target(args)
    limits = _limits(args)
    resume = args.resume is not None
    if resume:
        if args.scenario or args.bug or args.journal:
            raise _usage_error("--resume takes its scenarios and bug from the journal, and appends to it: "
                               "drop --scenario/--bug/--journal")
        journal_path = Path(args.resume)
        plan = None
        try:
            from scenarios.farm.journal import Journal

            _, state = Journal.reopen(journal_path)  # read (and checked) before a cluster is started
        except JournalError as error:
            raise _usage_error(str(error)) from error
        todo = len(state.plan.jobs()) - len(state.outcomes)
        print(f"omen-sim sweep: resuming {journal_path}: {len(state.outcomes)} result(s) journaled, {todo} to run",
              file=sys.stderr, flush=True)
    else:
        plan = _sweep_plan(args)
        journal_path = Path(args.journal) if args.journal else Path(args.repro_dir) / JOURNAL_NAME
        print(f"omen-sim sweep: journal {journal_path} (a sweep cut short resumes with --resume {journal_path})",
              file=sys.stderr, flush=True)
    _require_dask()
    from scenarios.farm.cluster import connect
    from scenarios.farm.engine import Farm, FarmError
    from scenarios.farm.sweep_farm import farm_sweep
    from scenarios.sweep_progress import sweep_progress

    print(f"omen-sim sweep: on {target.describe()}", file=sys.stderr, flush=True)
    try:
        with connect(target) as client:
            farm = Farm(client, limits, system_logs=args.system_logs)
            total = len((plan if plan is not None else state.plan).jobs())
            with sweep_progress(total) as progress:
                summary = farm_sweep(farm, plan, journal_path, resume=resume, progress=progress)
    except (FarmError, OSError) as error:  # OSError: Dask's comm errors, a scheduler lost mid-sweep
        raise _usage_error(f"{error}; the journal keeps what finished: resume with --resume {journal_path}") from error
    return report(args, summary, seeds=(plan if plan is not None else state.plan).seeds)


def farm_hunt_command(args: argparse.Namespace) -> int:
    """`hunt_command` with the farm's hunter; harness problems met on the way make it fail, loudly."""
    from scenarios.hunt import EXIT_ESCAPED, hunt_command

    target = _target(args)
    limits = _limits(args)
    if args.list or args.max_seeds < 1 or args.trials < 1:
        return hunt_command(args)  # listing and its own usage errors need no cluster
    from scenarios.bugzoo import get_bug

    for name in args.bug or []:
        get_bug(name)
    _require_dask()
    from scenarios.farm.cluster import connect
    from scenarios.farm.engine import Farm, FarmError
    from scenarios.farm.hunter import FarmHunter
    from scenarios.repro import git_commit

    print(f"omen-sim hunt: on {target.describe()}", file=sys.stderr, flush=True)
    try:
        with connect(target) as client:
            hunter = FarmHunter(Farm(client, limits, system_logs=args.system_logs), git_commit())
            code = hunt_command(args, hunter=hunter)
    except (FarmError, OSError) as error:  # OSError: Dask's comm errors, a scheduler lost mid-hunt
        raise _usage_error(str(error)) from error
    for problem in hunter.problems:
        print(f"  harness problem in the hunt for {problem['bug']}: {problem['scenario']} seed {problem['seed']} "
              f"[{problem['invariant']}] {problem['message']}", file=sys.stderr)
    return max(code, EXIT_ESCAPED) if hunter.problems else code
