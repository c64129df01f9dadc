"""The bug zoo: planted bugs the test bed must catch (docs/scenarios-and-invariants.md, "The bug zoo").

`BUGS` maps each bug's name to what it breaks, the invariant expected to catch it and
the scenarios it shows in; `planted(name)` plants one for the duration of a block.
"""
from scenarios.bugzoo import delivery_bugs, ledger_bugs, reader_bugs  # noqa: F401  (registration)
from scenarios.bugzoo.registry import BUGS, PlantedBug, UnknownBugError, get_bug, planted

__all__ = ["BUGS", "PlantedBug", "UnknownBugError", "get_bug", "planted"]
