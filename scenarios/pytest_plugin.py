"""The pytest face of the test bed (registered through the `pytest11` entry point).

A test that asks for the `omen_seed` fixture runs once per seed; one that also asks for
`omen_scenario` runs once per scenario x seed, each its own test id
(`test_x[calm-seed7]`). Seeds come only from the command line, never from a clock, so
every pytest-xdist worker collects the same ids. A failing run's report ends with the
exact command that replays it.

    --omen-seeds N        seeds per scenario (default 3)
    --omen-base-seed B    first seed (default 0); the header prints it
    --omen-seed S         run exactly this one seed (replaying a failure)
    --omen-scenario NAME  restrict to these scenarios (repeatable)

The `crashcheck` fixture (scenarios.crashcheck_pytest) crash-tests unmodified storage code.
"""
from __future__ import annotations

from typing import Any

import pytest

from scenarios.crashcheck_pytest import crashcheck  # noqa: E402,F401 - the `crashcheck` fixture

REPLAY_KEY = pytest.StashKey[str]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("omen-sim", "OMEN simulation test bed")
    group.addoption("--omen-seeds", type=int, default=3, help="seeds per scenario (default 3)")
    group.addoption("--omen-base-seed", type=int, default=0, help="first seed of the range (default 0)")
    group.addoption("--omen-seed", type=int, default=None, help="run exactly this seed")
    group.addoption("--omen-scenario", action="append", default=None, help="restrict to scenario (repeatable)")


def _seeds(config: pytest.Config) -> list[int]:
    single = config.getoption("--omen-seed")
    if single is not None:
        if single < 0:
            raise pytest.UsageError("--omen-seed must be a non-negative integer")
        return [single]
    count, base = config.getoption("--omen-seeds"), config.getoption("--omen-base-seed")
    if count < 1 or base < 0:
        raise pytest.UsageError("--omen-seeds must be >= 1 and --omen-base-seed >= 0")
    return list(range(base, base + count))


def _scenarios(config: pytest.Config) -> list[str]:
    from scenarios.catalog import SCENARIOS

    requested = config.getoption("--omen-scenario") or list(SCENARIOS)
    unknown = [name for name in requested if name not in SCENARIOS]
    if unknown:
        raise pytest.UsageError(f"unknown scenario(s) {unknown}; known: {', '.join(SCENARIOS)}")
    return requested


def pytest_configure(config: pytest.Config) -> None:
    """Refuse bad options before collection, as a usage error (exit code 4), not a crash."""
    _seeds(config)
    if config.getoption("--omen-scenario"):
        _scenarios(config)


def pytest_report_header(config: pytest.Config) -> str:
    seeds = _seeds(config)
    return f"omen-sim: base seed {seeds[0]}, {len(seeds)} seed(s) per scenario"


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "omen_scenario" in metafunc.fixturenames:
        metafunc.parametrize("omen_scenario", _scenarios(metafunc.config))
    if "omen_seed" in metafunc.fixturenames:
        seeds = _seeds(metafunc.config)
        metafunc.parametrize("omen_seed", seeds, ids=[f"seed{seed}" for seed in seeds])


@pytest.fixture
def omen_run(request: pytest.FixtureRequest) -> Any:
    """Run a scenario; a failure's report will carry the replay command."""
    from scenarios.runner import run

    def _run(scenario: str, seed: int, **kwargs: Any) -> Any:
        bug = kwargs.get("bug")
        command = f"omen-sim run {scenario} --seed {seed}" + (f" --bug {bug}" if bug else "")
        request.node.stash[REPLAY_KEY] = command
        return run(scenario, seed, **kwargs)

    return _run


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Any:
    report = yield
    if report.when == "call" and report.failed:
        command = item.stash.get(REPLAY_KEY, None)
        if command is None:
            params = getattr(getattr(item, "callspec", None), "params", {})
            if "omen_scenario" in params and "omen_seed" in params:
                command = f"omen-sim run {params['omen_scenario']} --seed {params['omen_seed']}"
        if command is not None:
            report.sections.append(("omen-sim replay", f"replay with: {command}"))
    return report
