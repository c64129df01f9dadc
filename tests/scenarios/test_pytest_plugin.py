"""The omen-sim pytest plugin: seeds from the command line, one test id per scenario x seed,
a header with the base seed, failures that end with the replay command, safe under xdist."""
from __future__ import annotations

import pytest

SCENARIO_TEST = """
def test_holds(omen_scenario, omen_seed, omen_run):
    assert omen_run(omen_scenario, omen_seed).ok
"""

FAILING_TEST = """
def test_with_a_planted_bug(omen_run):
    result = omen_run("calm", 4, bug="push_before_ledger")
    assert result.ok
"""


def test_each_scenario_and_seed_is_its_own_test_and_the_header_names_the_base_seed(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(SCENARIO_TEST)
    result = pytester.runpytest("--omen-seeds", "2", "--omen-base-seed", "40",
                                "--omen-scenario", "calm", "--omen-scenario", "hot_path_drops", "-v")
    result.assert_outcomes(passed=4)
    result.stdout.fnmatch_lines(["omen-sim: base seed 40, 2 seed(s) per scenario",
                                 "*test_holds?calm-seed40?*", "*test_holds?hot_path_drops-seed41?*"])


def test_one_seed_can_be_replayed_alone(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(SCENARIO_TEST)
    result = pytester.runpytest("--omen-seed", "123", "--omen-scenario", "calm", "-v")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*test_holds?calm-seed123?*"])


def test_a_failure_report_ends_with_the_replay_command(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(FAILING_TEST)
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*replay with: omen-sim run calm --seed 4 --bug push_before_ledger*"])


def test_an_unknown_scenario_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(SCENARIO_TEST)
    result = pytester.runpytest("--omen-scenario", "nope")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*unknown scenario*nope*"])


def test_xdist_workers_collect_the_same_ids(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(SCENARIO_TEST)
    result = pytester.runpytest_subprocess("-n", "2", "--omen-seeds", "3", "--omen-scenario", "calm")
    result.assert_outcomes(passed=3)
