"""`omen`: the OMEN console command, a thin dispatcher; each command lives in its own module
(`omen run`: `omen.run_command`; `omen ledger verify|salvage`: `omen.ledger_command`) and adds
its own subparser, which names its handler.

Exit codes: 0 success, 1 the command failed (or found damage), 2 bad usage.
"""
from __future__ import annotations

import argparse
import sys

from omen import ledger_command, run_command


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="omen", description="OMEN signal pipeline and operator commands")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    run_command.add_parser(commands)
    ledger_command.add_parser(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.handler(args))


if __name__ == "__main__":
    sys.exit(main())
