"""The one base of the harness's own errors about its input.

WHY one base (as Hypothesis' `errors.py`): a caller (the CLI, a user's script, a farm worker)
catches one type to tell "you asked for something wrong" (an unknown scenario, a bad plan file, a
bad seed range, a trace kind outside the catalogue) from a bug or a finding. Each subclass keeps
the builtin type it always was (ValueError, KeyError) and says in its message what to do instead.
It lives in `sim`, the lowest layer, so `faults` and `scenarios` can both derive from it.
"""
from __future__ import annotations


class HarnessError(Exception):
    """Bad usage or bad input of the test bed (not a violation, not a bug of the system under test)."""
