"""Seeds that once failed on the clean system stay clean (each names the fix that closed it).

They run in CI so a regression shows up as the exact seed that found the bug first.
"""
from __future__ import annotations

import pytest

from scenarios.runner import run

FOUND = [
    # a damaged earlier day stopped the sealer's pass: later days stayed open, never reconciled
    ("chaos", 769),
    ("chaos", 30068),
    # the durable index answered from a segment's old bytes after a same-size rewrite (ledger_first)
    ("rollover_sequence", 98),
    ("chaos", 58),
    # an emit that failed while another emit of the same signal made it durable (reports_match_facts)
    ("group_commit", 82),
    # a late manifest a crash left one record behind (manifests_match_records)
    ("chaos", 140),
    # a seal whose directory fsync failed was undone by a crash: the manifest's revision went back
    ("fsync_errors", 300306),
    # a late write rolled back after its manifest's rename (only the directory fsync failed): the
    # manifest claimed a record the truncate had removed (manifests_match_records)
    ("chaos", 301046),
    ("chaos", 301249),
]


@pytest.mark.parametrize(("scenario", "seed"), FOUND)
def test_a_seed_that_found_a_bug_holds_every_invariant_now(scenario: str, seed: int) -> None:
    result = run(scenario, seed)
    assert result.ok, [violation.message for violation in result.violations]
    assert all(verdict["checked"] == 1 for verdict in result.invariants.values())
