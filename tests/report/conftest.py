"""Shared runs of the report tests: one failing run with crashes, faults and violations."""
from __future__ import annotations

from typing import Any

import pytest

from scenarios.runner import run

# chaos seed 3 with the emitter pushing before the ledger write: ledger_first violations, a
# reconciler crashing and restarting, disk and network faults, and the liveness phase's day jump
FAILING_RUN = ("chaos", 3, "push_before_ledger")


@pytest.fixture(scope="package")
def failing_run() -> Any:
    scenario, seed, bug = FAILING_RUN
    result = run(scenario, seed, bug=bug, keep_world=True)
    assert result.violations, "the planted bug must be caught for the page to show a violation"
    return result
