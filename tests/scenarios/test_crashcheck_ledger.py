"""The ledger, unmodified, with `fs=os` (its production configuration), under crashcheck.

Clean; in agreement with the same history checked on the SimDisk port (the same distinct crash
states, the same verdicts); and each of three planted ledger bugs of the zoo is caught through
`os`, with no change to the ledger's code beyond the planted bug itself.
"""
from __future__ import annotations

import pytest

from scenarios import crashcheck_ledger as ledger
from scenarios.bugzoo import planted
from sim.crashcheck import crashcheck


@pytest.fixture(scope="module")
def clean_run():
    return ledger.crashcheck_verdicts(), ledger.port_verdicts()


def test_the_ledger_through_os_passes_every_crash_state(clean_run):
    (verdicts, result), _ = clean_run
    assert result.ok, "\n".join(v.report() for v in result.violations[:3])
    assert result.crash_points > 20 and result.states == len(verdicts) > 50
    assert all(verdicts.values())


def test_crashcheck_through_os_finds_the_same_states_and_verdicts_as_the_simdisk_port(clean_run):
    (verdicts, _), port = clean_run
    assert set(verdicts) == set(port)
    assert verdicts == port


def test_the_writer_default_fs_os_reaches_the_fake_file_system_not_the_real_disk():
    import os

    assert not os.path.exists("/crashcheck")
    result = crashcheck(ledger.workload, ledger.recover, ledger.check, exhaustive=False, samples=1)
    assert result.ok and result.ops > 50
    assert not os.path.exists("/crashcheck")


@pytest.mark.parametrize("bug", ["no_dir_fsync_new_segment", "append_after_torn_tail"])
def test_a_planted_ledger_bug_is_caught_through_os_and_the_port_agrees_state_by_state(bug):
    with planted(bug):
        verdicts, result = ledger.crashcheck_verdicts()
        port = ledger.port_verdicts()
    assert not result.ok
    assert verdicts == port
    assert sum(not passed for passed in verdicts.values()) == len(result.violations)


@pytest.mark.parametrize("bug, fragment", [
    ("replace_without_fsync", "_manifest.json"),
    ("sequence_in_unsynced_sidecar", "sequence not increasing"),
])
def test_a_planted_ledger_bug_is_caught_through_os_naming_what_broke(bug, fragment):
    with planted(bug):
        result = crashcheck(ledger.workload, ledger.recover, ledger.check, violations_max=1)
    assert len(result.violations) == 1
    assert fragment in result.violations[0].message
    assert result.violations[0].report().startswith("crash before op #")
