"""`omen`: the OMEN console command, a thin dispatcher; each subcommand lives in its own module.

Exit codes: 0 success, 1 the command failed, 2 bad usage (argparse or a bad option value).
"""
from __future__ import annotations

import argparse
import sys

from omen import run_command


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="omen", description="OMEN signal pipeline")
    commands = parser.add_subparsers(dest="command", required=True)
    run_command.add_parser(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    return int(args.handler(args))


if __name__ == "__main__":
    sys.exit(main())
