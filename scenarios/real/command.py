"""`omen-sim real`: one real run, its verdict printed (or written as JSON), exit 0 / 1 / 2."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from scenarios.real.nemesis import PROCESS_NAMES, NemesisSpecError, parse_families

EXIT_OK, EXIT_VIOLATION, EXIT_USAGE = 0, 1, 2


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--seconds", type=float, default=30.0, help="workload seconds (default 30)")
    parser.add_argument("--seed", type=int, default=0, help="decides the workload and the nemesis (default 0)")
    parser.add_argument("--rate", type=float, default=20.0, help="signals per second (default 20)")
    parser.add_argument("--nemesis", default="kill,pause,proxy", help="comma list of kill,pause,proxy, or none")
    parser.add_argument("--json", help="write the result as JSON to this file")
    parser.add_argument("--dir", help="run directory (kept); default: a temporary one, kept only on a violation")
    parser.add_argument("--bug", help="plant a bug of the zoo in every process (see `omen-sim hunt --list`)")
    parser.add_argument("--group-commit", type=int, default=0, help="OMEN's --group-commit (default 0)")
    parser.add_argument("--keep", action="store_true", help="keep the run directory even when the run passes")
    parser.add_argument("--twin", action="store_true",
                        help="also run the simulation with the same workload and fault mix; print both verdicts")
    parser.add_argument("--require-faults-fire", action="store_true",
                        help="fail unless every chosen nemesis acted: each process killed/paused, a proxy fault (CI)")


def unfired(families: frozenset[str], faults: dict[str, int]) -> list[str]:
    """The nemesis actions that a run with `families` on should have made and did not."""
    expected = [f"{family}.{name}" for family in ("kill", "pause") if family in families for name in PROCESS_NAMES]
    missing = [kind for kind in expected if not faults.get(kind)]
    if "proxy" in families and not any(kind.startswith("proxy.") for kind in faults):
        missing.append("proxy.*")
    return missing


def cmd_real(args: argparse.Namespace) -> int:
    from scenarios.real.harness import HarnessError
    from scenarios.real.run import RealRunConfig, RealRunSpecError, run_real

    try:
        config = RealRunConfig(seconds=args.seconds, seed=args.seed, rate_per_s=args.rate,
                               nemesis=parse_families(args.nemesis), run_dir=Path(args.dir) if args.dir else None,
                               bug=args.bug, group_commit=args.group_commit, keep_dir=args.keep)
        config.validate()
    except (NemesisSpecError, RealRunSpecError) as error:
        print(f"omen-sim real: {error}", file=sys.stderr)
        return EXIT_USAGE
    print(f"omen-sim real: {config.seconds:g} s at {config.rate_per_s:g} signals/s, seed {config.seed}, nemesis "
          f"{','.join(sorted(config.nemesis)) or 'none'}" + (f", bug {config.bug}" if config.bug else ""),
          file=sys.stderr, flush=True)
    simulated = None
    if args.twin:
        from scenarios.real.twin import simulate

        simulated = simulate(config)
    try:
        result = run_real(config)
    except HarnessError as error:
        print(f"omen-sim real: the run could not be set up: {error}", file=sys.stderr)
        return EXIT_USAGE
    summary = result.summary()
    if simulated is not None:
        from scenarios.real.twin import table

        summary["twin"] = {"simulation": simulated.summary(), "table": table(simulated, result)}
    if result.kept:
        (result.run_dir / "result.json").write_text(json.dumps(summary, indent=2, sort_keys=True) + "\n")
    if args.json:
        Path(args.json).write_text(json.dumps(summary, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    verdict = "ok" if result.ok else f"{len(result.violations)} violation(s)"
    faults = ", ".join(f"{kind} {count}" for kind, count in result.faults.items()) or "none"
    print(f"real seed {config.seed}: {verdict}; {result.signals} signals {result.emits}, converged "
          f"{result.converged}, {result.wall_seconds:.1f} wall s; faults: {faults}")
    for violation in result.violations:
        print(f"  [{violation.invariant}] {violation.message}")
    if simulated is not None:
        print("\n" + summary["twin"]["table"])
    missing = unfired(config.nemesis, result.faults) if args.require_faults_fire else []
    if missing:
        print(f"omen-sim real: nemesis actions that never happened: {', '.join(missing)}", file=sys.stderr)
        return EXIT_VIOLATION
    if not result.ok:
        print(f"the run's directory is kept: {result.run_dir} (ledger, database, logs, history.jsonl)", file=sys.stderr)
        return EXIT_VIOLATION
    if result.kept:
        print(f"run directory: {result.run_dir}", file=sys.stderr)
    return EXIT_OK
