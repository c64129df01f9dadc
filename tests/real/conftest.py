"""Real-process tests. The slower ones are marked `real_extended` and run only when asked
(OMEN_REAL_EXTENDED=1): CI runs the quick ones, one planted bug, and a ~30 s
real run with every nemesis on from `.ci/run`."""
from __future__ import annotations

import os

import pytest

EXTENDED_ENV_VAR = "OMEN_REAL_EXTENDED"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if os.environ.get(EXTENDED_ENV_VAR) == "1":
        return
    skip = pytest.mark.skip(reason=f"a slower real run: set {EXTENDED_ENV_VAR}=1")
    for item in items:
        if "real_extended" in item.keywords:
            item.add_marker(skip)
