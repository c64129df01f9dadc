"""`omen`: OMEN's operator command line. A thin dispatcher: each command group lives in its own module
and adds its own subparser; this file only wires them together."""
from __future__ import annotations

import argparse
import sys

from omen import ledger_command


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="omen", description="OMEN operator commands.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    ledger_command.add_parser(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.run(args))


if __name__ == "__main__":
    sys.exit(main())
