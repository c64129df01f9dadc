"""Fixtures for the ledger specs."""
from __future__ import annotations

from datetime import timedelta

import pytest

from omen import FixedClock
from tests.omen.ledger_helpers import DAY_1


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(DAY_1 + timedelta(minutes=5))


@pytest.fixture
def root(tmp_path) -> str:
    return str(tmp_path / "ledger")
