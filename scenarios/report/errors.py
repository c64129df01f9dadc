"""The one error a report raises for input it cannot use (the CLI turns it into exit 2)."""
from __future__ import annotations

from sim.errors import HarnessError

__all__ = ["ReportInputError"]


class ReportInputError(HarnessError, ValueError):
    """A file given to `omen-sim report` (or a document behind --html) cannot be drawn."""
