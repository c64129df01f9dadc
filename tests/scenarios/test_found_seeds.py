"""Seeds that once failed on the clean system stay clean (each names the fix that closed it).

They run in CI so a regression shows up as the exact seed that found the bug first.
"""
from __future__ import annotations

import pytest

from scenarios.runner import run

# `fsync_errors` crossed no midnight when it found its seed; these overrides keep that run exactly
FSYNC_ERRORS_BEFORE_LATE = {"workload": {"late_fraction": 0.0}, "seal_grace_s": 10.0, "start_before_midnight_s": 30.0}

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
    ("fsync_errors", 300306, FSYNC_ERRORS_BEFORE_LATE),
    # a late write rolled back after its manifest's rename (only the directory fsync failed): the
    # manifest claimed a record the truncate had removed (manifests_match_records)
    ("chaos", 301046),
    ("chaos", 301249),
    # the same undone seal, the reopened day then took late records into a new segment: the seal
    # never reached the disk, so the day was reopened, not changed (sealed_immutable)
    ("fsync_errors", 306316),
    # rot turned a sealed manifest's third entry into a second `segment-000001.log` and the JSON
    # still parsed: the system cannot read the manifest (so replays nothing of the main day), and
    # the oracle took its `sealed` as true and wanted the day delivered (no_silent_loss)
    ("chaos", 309222),
    # the same kind of rot, another field: a sealed manifest's `updated_at` became ":026-01-02T...",
    # which is no timestamp; the system cannot read the manifest, the oracle read `sealed: true`
    ("chaos", 310940),
]


@pytest.mark.parametrize("found", FOUND, ids=lambda found: f"{found[0]}-{found[1]}")
def test_a_seed_that_found_a_bug_holds_every_invariant_now(found: tuple) -> None:
    scenario, seed, *overrides = found
    result = run(scenario, seed, overrides=overrides[0] if overrides else None)
    assert result.ok, [violation.message for violation in result.violations]
    assert all(verdict["checked"] == 1 for verdict in result.invariants.values())
