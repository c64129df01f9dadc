"""`python -m scenarios.real.launch [--bug NAME] -- omen|riskcast ARGS...`: start a real process,
optionally with a planted bug of the zoo.

The bug is planted in this process before the program's real `main` runs, exactly as
`scenarios.bugzoo.planted` plants it in a simulated run; the system's code carries no switch.
Exit codes are the program's; 2 for bad launcher usage (an unknown bug or program).
"""
from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Callable

PROGRAMS = ("omen", "riskcast")


def _program_main(program: str) -> Callable[[list[str]], int]:
    if program == "omen":
        from omen.cli import main as omen_main

        return omen_main
    from riskcast.cli import main as riskcast_main

    return riskcast_main


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if "--" not in argv:
        print("launch: usage: python -m scenarios.real.launch [--bug NAME] -- omen|riskcast ARGS...", file=sys.stderr)
        return 2
    split = argv.index("--")
    parser = argparse.ArgumentParser(prog="python -m scenarios.real.launch")
    parser.add_argument("--bug", help="a planted bug of the zoo (see `omen-sim hunt --list`)")
    options = parser.parse_args(argv[:split])
    command = argv[split + 1:]
    if not command or command[0] not in PROGRAMS:
        print(f"launch: the program must be one of {', '.join(PROGRAMS)}, got {command[:1]}", file=sys.stderr)
        return 2
    with contextlib.ExitStack() as stack:
        if options.bug:
            from scenarios.bugzoo import UnknownBugError, planted

            try:
                stack.enter_context(planted(options.bug))
            except UnknownBugError as error:
                print(f"launch: {error}", file=sys.stderr)
                return 2
        return int(_program_main(command[0])(command[1:]))


if __name__ == "__main__":
    sys.exit(main())
