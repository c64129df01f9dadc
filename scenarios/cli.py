"""`omen-sim` (also `python -m scenarios`): list, run, sweep, replay, determinism, hunt, minimize,
report, crashcheck, real.

Exit codes: 0 every invariant held, 1 a violation (or a trace hash mismatch, or an
escaped planted bug), 2 bad usage or bad input. Errors say what to do next.
"""
from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path
from typing import Any

from scenarios.errors import HarnessError, UsageError
from scenarios.gc_tuning import tune_gc_for_runs

EXIT_OK, EXIT_VIOLATION, EXIT_USAGE = 0, 1, 2
DEFAULT_REPRO_DIR = Path("repros")
SWEEP_SEEDS_DEFAULT = 200




def _print_json(document: Any) -> None:
    print(json.dumps(document, indent=2, sort_keys=True))


def _write_json(path: str, document: Any) -> None:
    Path(path).write_text(json.dumps(document, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def _load_plan(path: str | None):  # noqa: ANN202
    if path is None:
        return None
    from faults import FaultPlan
    from faults.plan import FaultPlanError

    try:
        return FaultPlan.load(path)
    except FaultPlanError as error:
        raise UsageError(f"bad fault plan {path}: {error}") from error


def _scenario_names(requested: list[str] | None) -> list[str]:
    from scenarios.catalog import SCENARIOS, get_scenario

    if not requested:
        return list(SCENARIOS)
    for name in requested:
        get_scenario(name)  # raises UnknownScenarioError
    return list(dict.fromkeys(requested))


def replay_command(path: Path) -> str:
    return f"omen-sim replay {path}"


# ---- commands -----------------------------------------------------------------------------
def cmd_list(args: argparse.Namespace) -> int:
    from scenarios.catalog import SCENARIOS

    if args.json:
        _print_json([{"name": s.name, "description": s.description} for s in SCENARIOS.values()])
    else:
        width = max(len(name) for name in SCENARIOS)
        for scenario in SCENARIOS.values():
            print(f"{scenario.name.ljust(width)}  {scenario.description}")
    return EXIT_OK


def cmd_run(args: argparse.Namespace) -> int:
    from scenarios.catalog import get_scenario
    from scenarios.repro import default_repro_path, git_commit, repro_from_result
    from scenarios.runner import run

    get_scenario(args.scenario)
    if args.bug is not None:
        from scenarios.bugzoo import get_bug

        get_bug(args.bug)
    plan = _load_plan(args.plan)
    print(f"omen-sim: running {args.scenario} seed {args.seed}" + (f" bug {args.bug}" if args.bug else ""),
          file=sys.stderr, flush=True)
    started = time.perf_counter()
    result = run(args.scenario, args.seed, plan=plan, bug=args.bug, keep_world=bool(args.trace_out or args.html))
    wall_s = time.perf_counter() - started
    if args.trace_out:
        result.world.trace.write_jsonl(args.trace_out)
    repro_path = None
    if not result.ok:
        repro = repro_from_result(result, git_commit())
        repro_path = repro.save(default_repro_path(Path(args.repro_dir), result.scenario, result.seed, result.bug))
    if args.html:
        from scenarios.report.commands import write_run_timeline

        print(f"timeline written: {write_run_timeline(result, args.html, repro_path=repro_path, plan_path=args.plan)}",
              file=sys.stderr)
    summary = result.summary()
    summary.update({
        "runs": 1,
        "wall_seconds": round(wall_s, 3),
        "violations": [{"scenario": result.scenario, "seed": result.seed,
                        "repro": str(repro_path) if repro_path else None, **v.to_json()}
                       for v in result.violations],
    })
    if args.json:
        _print_json(summary)
    else:
        verdict = "ok" if result.ok else f"{len(result.violations)} violation(s)"
        print(f"{result.scenario} seed {result.seed}: {verdict}; {result.signals} signals, "
              f"{result.sim_seconds:.1f} sim s in {wall_s:.2f} wall s; trace {result.trace_hash[:16]}")
        for violation in result.violations:
            print(f"  [{violation.invariant}] {violation.message}")
    if repro_path is not None:
        print(f"repro written: {repro_path}\nreplay with: {replay_command(repro_path)}", file=sys.stderr)
        return EXIT_VIOLATION
    return EXIT_OK


def sweep_seeds(args: argparse.Namespace) -> tuple[range, str | None]:
    """The seeds a sweep runs, and the note on a freshly drawn base seed (None when fixed)."""
    from scenarios.base_seed import draw_base_seed, rerun_command
    from scenarios.sweep import parse_seed_range

    if args.seed_range is not None:
        return parse_seed_range(args.seed_range), None
    count = SWEEP_SEEDS_DEFAULT if args.seeds is None else args.seeds
    if count < 1:
        raise UsageError("--seeds must be at least 1")
    if args.base_seed is not None and args.base_seed < 0:
        raise UsageError("--base-seed must be a non-negative integer")
    base = args.base_seed if args.base_seed is not None else draw_base_seed()
    seeds = range(base, base + count)
    if args.base_seed is not None:
        return seeds, None
    again = rerun_command(seeds=count, base_seed=base, scenarios=args.scenario, bug=args.bug, workers=args.workers)
    drawn = f"omen-sim sweep: fresh base seed {base} (seeds {base}..{base + count - 1}); rerun with: {again}"
    print(drawn, file=sys.stderr, flush=True)
    return seeds, drawn


def cmd_sweep(args: argparse.Namespace) -> int:
    from scenarios.sweep import Job, sweep
    from scenarios.sweep_progress import sweep_progress

    if args.dask is not None or args.resume is not None:  # the farm: scenarios.farm, reported below
        from scenarios.farm.command import farm_sweep_command

        return farm_sweep_command(args, _report_sweep)
    seeds, drawn = sweep_seeds(args)
    if args.workers < 1:
        raise UsageError("--workers must be at least 1")
    names = _scenario_names(args.scenario)
    jobs = [Job(name, seed, args.bug, str(args.repro_dir)) for seed in seeds for name in names]
    with sweep_progress(len(jobs)) as progress:
        summary = sweep(jobs, workers=args.workers, progress=progress,
                        journal=Path(args.repro_dir) / "sweep-journal.txt")
    return _report_sweep(args, summary, seeds=seeds, drawn=drawn)


def _report_sweep(args: argparse.Namespace, summary: Any, *, seeds: range | None = None,
                  drawn: str | None = None) -> int:
    document = summary.to_json()
    if seeds is not None:
        document |= {"seed_start": seeds.start, "seed_stop": seeds.stop}
    if args.json:
        _write_json(args.json, document)
    if args.html:
        from scenarios.report.commands import write_sweep_report

        print(f"summary page written: {write_sweep_report(document, args.html)}", file=sys.stderr)
    _print_sweep_table(summary)
    if drawn is not None:
        print(drawn, file=sys.stderr)
    failed = bool(summary.violations)
    if summary.never_fired and args.require_faults_fire:
        print(f"fault kinds that were on but never fired: {', '.join(summary.never_fired)}", file=sys.stderr)
        failed = True
    for violation in summary.violations[:20]:
        print(f"  {violation['scenario']} seed {violation['seed']} [{violation['invariant']}] "
              f"{violation['message']}", file=sys.stderr)
        if violation.get("repro"):
            print(f"    replay with: {replay_command(Path(violation['repro']))}", file=sys.stderr)
    return EXIT_VIOLATION if failed else EXIT_OK


def _print_sweep_table(summary: Any) -> None:
    print(f"{'scenario':24} {'runs':>6} {'failed':>7}")
    for name, row in summary.per_scenario.items():
        print(f"{name:24} {row['runs']:>6} {row['failed']:>7}")
    print(f"{summary.runs} runs, {len(summary.violations)} violations, {summary.signals} signals, "
          f"{summary.sim_seconds:.0f} sim s in {summary.wall_seconds:.1f} wall s "
          f"({summary.sim_seconds / max(summary.wall_seconds, 1e-9):.0f}x)")
    print("faults fired: " + ", ".join(f"{k}={v}" for k, v in sorted(summary.faults.items())))


def cmd_replay(args: argparse.Namespace) -> int:
    from scenarios.crashcheck_cli import is_crashcheck_repro, replay_crashcheck
    if is_crashcheck_repro(args.file):
        return replay_crashcheck(args)
    from scenarios.repro import Repro
    from scenarios.runner import run

    repro = Repro.load(args.file)
    schedule = repro.schedule if repro.replay_schedule else None  # a minimized repro replays its schedule
    result = run(repro.scenario, repro.seed, plan=repro.plan, overrides=repro.params, bug=repro.bug,
                 schedule=schedule, keep_world=bool(args.html))
    same = result.trace_hash == repro.trace_hash
    if args.html:
        from scenarios.report.commands import write_replay_timeline

        print(f"timeline written: {write_replay_timeline(result, repro, args.file, args.html)}", file=sys.stderr)
    document = {"file": str(args.file), "scenario": repro.scenario, "seed": repro.seed, "bug": repro.bug,
                "expected_trace_hash": repro.trace_hash, "trace_hash": result.trace_hash, "same": same,
                "violations": [v.to_json() for v in result.violations]}
    if args.json:
        _print_json(document)
    else:
        print(f"replay {args.file}: trace hash {'matches' if same else 'DIFFERS'} "
              f"({result.trace_hash[:16]} vs {repro.trace_hash[:16]}); {len(result.violations)} violation(s)")
        for violation in result.violations:
            print(f"  [{violation.invariant}] {violation.message}")
    return EXIT_OK if same and result.ok else EXIT_VIOLATION


def cmd_determinism(args: argparse.Namespace) -> int:
    from scenarios.determinism_targets import check_scenario_determinism

    names = _scenario_names(args.scenario)
    if args.seeds < 1:
        raise UsageError("--seeds must be at least 1")
    mismatches = 0
    for name in names:
        for seed in range(args.seed_start, args.seed_start + args.seeds):
            report = check_scenario_determinism(name, seed)
            print(f"{name} seed {seed}: {'same' if report.same else 'DIFFERENT'} {report.hash_a[:16]}")
            if not report.same:
                mismatches += 1
                print(report.divergence)
    return EXIT_VIOLATION if mismatches else EXIT_OK


def cmd_hunt(args: argparse.Namespace) -> int:
    from scenarios.hunt import hunt_command

    if args.html and not args.json and not args.list:
        args.json = str(Path(args.html).with_suffix(".json"))  # the page is drawn from the hunt's JSON
    if args.dask is not None:  # the farm: scenarios.farm
        from scenarios.farm.command import farm_hunt_command

        code = farm_hunt_command(args)
    else:
        code = hunt_command(args)
    if args.html and not args.list and code != EXIT_USAGE:
        from scenarios.report.commands import write_hunt_report_from_file

        print(f"summary page written: {write_hunt_report_from_file(args.json, args.html)}", file=sys.stderr)
    return code


def cmd_report(args: argparse.Namespace) -> int:
    from scenarios.report.commands import report_command

    print(f"page written: {report_command(args.input, args.html)}", file=sys.stderr)
    return EXIT_OK


def cmd_minimize(args: argparse.Namespace) -> int:
    """Shrink a failing repro to a minimal fault schedule that still fails the same way."""
    from scenarios.minimize import MinimizeError, MinimizeProgress, minimize
    from scenarios.repro import Repro

    if args.max_runs < 1:
        raise UsageError("--max-runs must be at least 1")
    if args.max_seconds is not None and args.max_seconds <= 0:
        raise UsageError("--max-seconds must be a positive number of seconds")
    repro = Repro.load(args.file)

    def progress(report: MinimizeProgress) -> None:
        print(f"minimize: run {report.runs}/{report.runs_max} [{report.phase}] "
              f"{report.faults_original} -> {report.faults_now} faults"
              f"{'' if report.failed else ' (candidate passed)'}", file=sys.stderr, flush=True)

    try:
        outcome = minimize(repro, max_runs=args.max_runs, max_seconds=args.max_seconds, clock=time.monotonic,
                           progress=progress, shrink_parameters=not args.no_params)
    except MinimizeError as error:
        raise UsageError(str(error)) from error
    source = Path(args.file)
    out = Path(args.out) if args.out else source.with_name(f"{source.stem}-min{source.suffix or '.json'}")
    outcome.repro.save(out)
    document = {"file": str(source), "out": str(out), "invariant": outcome.invariant,
                "faults_original": outcome.faults_original, "faults_minimal": outcome.faults_minimal,
                "runs": outcome.runs, "budget_exhausted": outcome.budget_exhausted,
                "trace_hash": outcome.repro.trace_hash,
                "schedule": [entry.model_dump(mode="json") for entry in outcome.candidate.schedule.entries]}
    if args.json:
        _print_json(document)
    else:
        note = " (budget spent: smaller may exist)" if outcome.budget_exhausted else ""
        print(f"minimized {source}: {outcome.faults_original} faults -> {outcome.faults_minimal} still violate "
              f"[{outcome.invariant}] after {outcome.runs} runs{note}")
        for entry in outcome.candidate.schedule.entries:
            print(f"  {entry.kind} at {entry.point} on {entry.node} #{entry.occurrence} {entry.params or ''}")
    print(f"minimal repro written: {out}\nreplay with: {replay_command(out)}", file=sys.stderr)
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    from scenarios.farm.arguments import add_farm_arguments, add_farm_sweep_arguments  # imports no Dask

    parser = argparse.ArgumentParser(prog="omen-sim", description=__doc__.splitlines()[0])
    parser.add_argument("--system-logs", action="store_true",
                        help="show the system's own log lines (quiet by default: runs are judged by the checkers)")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("list", help="the scenarios and what each checks")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_list)

    p = sub.add_parser("run", help="one scenario, one seed")
    p.add_argument("scenario")
    p.add_argument("--seed", type=int, required=True)
    p.add_argument("--plan", help="a fault plan file (JSON or TOML) instead of the seed's swarm plan")
    p.add_argument("--bug", help="plant a bug of the zoo (see `omen-sim hunt --list`)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--trace-out", help="write the trace as JSON Lines")
    p.add_argument("--html", help="write the run's timeline as one self-contained HTML file")
    p.add_argument("--repro-dir", default=str(DEFAULT_REPRO_DIR))
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("sweep", help="many scenarios x seeds (a fresh base seed unless one is given)")
    p.add_argument("--scenario", action="extend", nargs="+",
                   help="one or more names, and repeatable (--scenario chaos bit_rot); default: all scenarios")
    seeds = p.add_mutually_exclusive_group()
    seeds.add_argument("--seeds", type=int, help=f"number of seeds, from --base-seed (default {SWEEP_SEEDS_DEFAULT})")
    seeds.add_argument("--seed-range", help="A:B, seeds A..B-1 (fixed)")
    p.add_argument("--base-seed", "--seed-start", dest="base_seed", type=int, default=None,
                   help="first seed (fixed, as CI runs); default: drawn fresh each time and printed")
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--json", help="write the summary as JSON to this file")
    p.add_argument("--bug", help="plant a bug of the zoo in every run")
    p.add_argument("--repro-dir", default=str(DEFAULT_REPRO_DIR))
    p.add_argument("--require-faults-fire", action="store_true",
                   help="fail when a fault kind that some plan switched on never fired (CI)")
    p.add_argument("--html", help="write a summary page (and timelines of the first failing runs) as HTML")
    add_farm_sweep_arguments(p, seeds)
    p.set_defaults(func=cmd_sweep)

    p = sub.add_parser("replay", help="replay a repro file and compare the trace hash")
    p.add_argument("file")
    p.add_argument("--json", action="store_true")
    p.add_argument("--html", help="write the replay's timeline as one self-contained HTML file")
    p.set_defaults(func=cmd_replay)

    p = sub.add_parser("determinism", help="each seed in two fresh processes with different PYTHONHASHSEED")
    p.add_argument("--scenario", action="append")
    p.add_argument("--seeds", type=int, required=True)
    p.add_argument("--seed-start", type=int, default=0)
    p.set_defaults(func=cmd_determinism)

    p = sub.add_parser("hunt", help="plant each bug of the zoo and run seeds until an invariant catches it")
    bugs = p.add_mutually_exclusive_group(required=True)
    bugs.add_argument("--bug", action="append", help="repeatable")
    bugs.add_argument("--all", action="store_true")
    bugs.add_argument("--list", action="store_true", help="list the planted bugs")
    p.add_argument("--max-seeds", type=int, default=2000)
    p.add_argument("--trials", type=int, default=1, help="hunts per bug over disjoint seed ranges (medians)")
    p.add_argument("--workers", type=int, default=1, help="worker processes (bugs and trials run in parallel)")
    p.add_argument("--json", help="write the report as JSON to this file")
    p.add_argument("--repro-dir", default=str(DEFAULT_REPRO_DIR))
    p.add_argument("--html", help="write a summary page as HTML (its JSON beside it, unless --json names one)")
    add_farm_arguments(p)
    p.set_defaults(func=cmd_hunt)

    p = sub.add_parser("report", help="draw a repro, a JSON Lines trace, or a sweep/hunt JSON summary as HTML")
    p.add_argument("input", help="a repro file, a trace written by --trace-out, or a sweep/hunt --json file")
    p.add_argument("--html", required=True, help="the HTML file to write")
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("minimize", help="shrink a failing repro to a minimal fault schedule that still fails")
    p.add_argument("file", help="a repro file written by a failing run")
    p.add_argument("--out", help="where to write the minimized repro (default: FILE-min.json beside it)")
    p.add_argument("--max-runs", type=int, default=500, help="budget of replays (default 500)")
    p.add_argument("--max-seconds", type=float, default=None, help="budget of wall seconds")
    p.add_argument("--no-params", action="store_true", help="only remove faults, keep their parameters")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=cmd_minimize)
    from scenarios.crashcheck_cli import add_parser as add_crashcheck_parser
    add_crashcheck_parser(sub)

    from scenarios.real.command import add_arguments as add_real_arguments, cmd_real
    p = sub.add_parser("real", help="the real twin: real processes, real kills, the same checkers")
    add_real_arguments(p)
    p.set_defaults(func=cmd_real)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.system_logs:
        for name in ("omen", "riskcast"):
            logging.getLogger(name).setLevel(logging.CRITICAL + 1)
    if getattr(args, "seed", None) is not None and args.seed < 0:
        parser.error("--seed must be a non-negative integer")
    try:
        return args.func(args)
    except HarnessError as error:  # every error about the input derives from it; see scenarios/errors.py
        print(f"omen-sim {args.command}: {error}", file=sys.stderr)
        return EXIT_USAGE


def command() -> int:
    """The `omen-sim` executable: `main` in a process that exists to run simulations, so its garbage
    collector is tuned for them (scenarios/gc_tuning.py). `main` itself leaves the caller's settings alone."""
    tune_gc_for_runs()
    return main()


if __name__ == "__main__":
    sys.exit(command())
