"""`omen-sim crashcheck`: crash-test a workload given as MODULE:FN, and replay its repro files.

    omen-sim crashcheck MODULE:WORKLOAD --recover MODULE:FN --check MODULE:FN
        [--exhaustive | --samples N --seed S] [--profile posix|ext4-ordered]
        [--states-max N] [--json] [--repro-dir DIR]

Exit 0 when every crash state passed, 1 on a violation, 2 on bad usage or bad input.
MODULE is importable from the current directory. The engine is `sim.crashcheck`.
"""
from __future__ import annotations

import argparse
import importlib
import json
import os
import re
import sys
from pathlib import Path
from typing import Any, Callable

EXIT_OK, EXIT_VIOLATION, EXIT_USAGE = 0, 1, 2
REPROS_MAX = 20  # repro files written per run (every violation is still counted and listed)
REPORTS_PRINTED_MAX = 5
_SPEC = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_][\w.]*$")


class SpecError(ValueError):
    """A MODULE:FN that does not name an importable callable."""


def resolve(spec: str, what: str) -> Callable[..., Any]:
    """Import MODULE and return its FN (dotted attributes allowed), from the current directory."""
    if not isinstance(spec, str) or not _SPEC.match(spec):
        raise SpecError(f"{what} must be MODULE:FN (for example mystore:workload), got {spec!r}")
    module_name, attribute = spec.split(":", 1)
    cwd = os.getcwd()
    if cwd not in sys.path:
        sys.path.insert(0, cwd)
    try:
        target: Any = importlib.import_module(module_name)
    except ImportError as error:
        raise SpecError(f"{what} {spec}: cannot import {module_name} from {cwd}: {error}") from error
    except Exception as error:  # the module itself raised while importing
        raise SpecError(f"{what} {spec}: importing {module_name} raised {type(error).__name__}: {error}") from error
    for part in attribute.split("."):
        if not hasattr(target, part):
            raise SpecError(f"{what} {spec}: {module_name} has no attribute {attribute}")
        target = getattr(target, part)
    if not callable(target):
        raise SpecError(f"{what} {spec} is a {type(target).__name__}, not a callable")
    return target


def replay_command(path: Path) -> str:
    return f"omen-sim replay {path}"


def add_parser(sub: Any) -> None:
    p = sub.add_parser("crashcheck", help="crash-test unmodified Python storage code (MODULE:WORKLOAD)")
    p.add_argument("workload", help="MODULE:FN, called as workload(root)")
    p.add_argument("--recover", required=True, help="MODULE:FN, called as recover(root) after each crash")
    p.add_argument("--check", required=True, help="MODULE:FN, called as check(root, acked)")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--exhaustive", action="store_true", help="every crash state (the default)")
    mode.add_argument("--samples", type=int, help="seeded draws per crash point instead")
    p.add_argument("--seed", type=int, default=0, help="seed of the draws (with --samples)")
    p.add_argument("--profile", default="posix", help="posix (default) or ext4-ordered")
    p.add_argument("--states-max", type=int, default=None, help="bound on distinct states checked (default 10000)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--repro-dir", default="repros", help="where repro files of violations go (default repros)")
    p.set_defaults(func=cmd_crashcheck)


def _error(command: str, message: str) -> int:
    print(f"omen-sim {command}: {message}", file=sys.stderr)
    return EXIT_USAGE


def _repro_name(workload: str, point: int, number: int) -> str:
    return f"crashcheck-{re.sub(r'[^A-Za-z0-9_.-]+', '_', workload)}-op{point}-{number}.json"


def cmd_crashcheck(args: argparse.Namespace) -> int:
    from sim.crashcheck import CrashcheckError, crashcheck
    from sim.crashcheck.repro import CrashRepro
    from sim.crashcheck.run import STATES_MAX_DEFAULT
    from sim.crashcheck.tree import state_tree
    from sim.disk import CrashStateLimitError

    if args.samples is not None and args.samples < 1:
        return _error("crashcheck", f"--samples must be >= 1, got {args.samples}")
    try:
        workload = resolve(args.workload, "the workload")
        recover = resolve(args.recover, "--recover")
        check = resolve(args.check, "--check")
        result = crashcheck(workload, recover, check, profile=args.profile, exhaustive=args.samples is None,
                            samples=args.samples or 0, seed=args.seed,
                            states_max=args.states_max if args.states_max is not None else STATES_MAX_DEFAULT)
    except (SpecError, CrashcheckError, CrashStateLimitError) as error:
        return _error("crashcheck", str(error))
    document = result.to_json()
    document["workload"] = args.workload
    repro_dir = Path(args.repro_dir)
    for number, (violation, entry) in enumerate(zip(result.violations, document["violations"]), start=1):
        if number > REPROS_MAX:
            break
        path = repro_dir / _repro_name(args.workload, violation.crash_point, number)
        CrashRepro(args.workload, args.recover, args.check, result.profile, violation.crash_point, violation.op,
                   violation.message, violation.acked, state_tree(violation.state), entry).save(path)
        entry["repro"] = str(path)
    if args.json:
        print(json.dumps(document, indent=2, sort_keys=True))
    else:
        print(f"crashcheck {args.workload} [{result.profile}, {result.mode}]: {result.ops} ops, "
              f"{result.crash_points} crash points, {result.states} distinct states checked "
              f"({result.states_seen} found), {len(result.violations)} violation(s)")
        for violation, entry in list(zip(result.violations, document["violations"]))[:REPORTS_PRINTED_MAX]:
            print(violation.report())
            if "repro" in entry:
                print(f"  replay with: {replay_command(Path(entry['repro']))}")
        hidden = len(result.violations) - REPORTS_PRINTED_MAX
        if hidden > 0:
            print(f"... and {hidden} more (--json lists them all)")
    return EXIT_OK if result.ok else EXIT_VIOLATION


def is_crashcheck_repro(path: str) -> bool:
    """True when `path` is a readable JSON crashcheck repro (other repros go to the scenario replay)."""
    from sim.crashcheck.errors import ReproFileError
    from sim.crashcheck.repro import is_crashcheck_document, read_document

    try:
        return is_crashcheck_document(read_document(path))
    except ReproFileError:
        return False


def replay_crashcheck(args: argparse.Namespace) -> int:
    """Install the repro's crash state, run its recovery and check: 1 if the violation is still there."""
    from sim.crashcheck import CrashcheckError
    from sim.crashcheck.repro import load
    from sim.crashcheck.run import check_repro

    try:
        repro = load(args.file)
        message = check_repro(repro.tree, list(repro.acked), resolve(repro.recover, "recover"),
                              resolve(repro.check, "check"))
    except (SpecError, CrashcheckError) as error:
        return _error("replay", str(error))
    if getattr(args, "json", False):
        print(json.dumps({"file": str(args.file), "crash_point": repro.crash_point, "op": repro.op,
                          "reproduced": message is not None, "message": message,
                          "expected_message": repro.message}, indent=2, sort_keys=True))
    elif message is None:
        print(f"replay {args.file}: the crash state before op #{repro.crash_point} ({repro.op}) passes now")
    else:
        print(f"replay {args.file}: violation reproduced at the crash before op #{repro.crash_point} "
              f"({repro.op}): {message}")
    return EXIT_OK if message is None else EXIT_VIOLATION
