"""The package's public face: what users call is importable from `scenarios`, and cheaply so."""
from __future__ import annotations

import subprocess
import sys

import pytest

import scenarios

HEAVY_MODULES = ("scenarios.runner", "omen", "riskcast", "pydantic", "hypothesis", "sqlite3")


def test_every_public_name_resolves_to_the_object_its_module_defines() -> None:
    from scenarios.catalog import SCENARIOS
    from scenarios.runner import run

    assert scenarios.run is run and scenarios.SCENARIOS is SCENARIOS
    for name in scenarios.__all__:
        assert getattr(scenarios, name) is not None, name


def test_an_unknown_name_says_which_names_are_public() -> None:
    with pytest.raises(AttributeError, match="public names"):
        scenarios.no_such_thing  # noqa: B018


def test_importing_the_package_and_the_pytest_plugin_loads_nothing_heavy() -> None:
    probe = ("import sys, scenarios, scenarios.pytest_plugin; "
             f"print(','.join(m for m in {HEAVY_MODULES!r} if m in sys.modules))")
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True,
                            cwd=str(__import__("pathlib").Path(scenarios.__file__).parent.parent))
    assert loaded.stdout.strip() == "", f"loaded at import: {loaded.stdout.strip()}"
