import sys

from scenarios.cli import command

sys.exit(command())
