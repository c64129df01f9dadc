"""The pytest face of crashcheck: the fixture, the per-crash-point test ids, the failure report."""
from __future__ import annotations

import pytest

STORE = """
import json, os
from sim.crashcheck import ack

def _fsync_dir(path):
    fd = os.open(path, os.O_RDONLY)
    os.fsync(fd)
    os.close(fd)

def save(root, value, fsync_temp):
    temp = os.path.join(root, "s.tmp")
    with open(temp, "w") as f:
        json.dump({"v": value}, f)
        if fsync_temp:
            f.flush()
            os.fsync(f.fileno())
    os.replace(temp, os.path.join(root, "s.json"))
    _fsync_dir(root)
    ack("v", str(value))

def good(root):
    save(root, 1, True)
    save(root, 2, True)

def bad(root):
    save(root, 1, False)

def recover(root):
    pass

def check(root, acked):
    if acked:
        with open(os.path.join(root, "s.json")) as f:
            assert json.load(f)["v"] >= int(acked[-1][1]), "an acknowledged version is lost"
"""

TESTS = """
from store import good, bad, recover, check
from scenarios.crashcheck_pytest import crashcheck_test

def test_good(crashcheck):
    result = crashcheck(good, recover, check, profile="ext4-ordered", states_max=1000)
    assert result.ok and result.states > 0

def test_bad(crashcheck):
    crashcheck(bad, recover, check)

test_good_per_point = crashcheck_test(good, recover, check, per_crash_point=True)
"""


def test_the_fixture_passes_good_code_and_fails_bad_code_with_the_state_and_the_replay_command(
        pytester: pytest.Pytester) -> None:
    pytester.makepyfile(store=STORE, test_store=TESTS)
    result = pytester.runpytest("-v", "-p", "no:randomly")
    result.assert_outcomes(passed=6, failed=1)
    result.stdout.fnmatch_lines([
        "*test_good_per_point?op*-fsync?*PASSED*",
        "*test_good_per_point?end?*PASSED*",
        "*crash before op #*",
        "*entry ops kept*",
        "*replay with: omen-sim replay *crashcheck-op*.json*",
    ])


def test_a_replay_command_from_the_failure_reproduces_it(pytester: pytest.Pytester, monkeypatch) -> None:
    import re

    from scenarios.cli import main

    pytester.makepyfile(store=STORE, test_store=TESTS)
    result = pytester.runpytest("-k", "test_bad")
    match = re.search(r"replay with: omen-sim replay (\S+)", result.stdout.str())
    assert match is not None
    monkeypatch.chdir(pytester.path)
    assert main(["replay", match.group(1)]) == 1
