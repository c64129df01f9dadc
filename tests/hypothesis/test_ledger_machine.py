"""The ledger state machine: the clean ledger holds its invariants under any program of writes,
rollovers, seals, crashes and reopens; a planted ledger bug is found and shrunk to a short program."""
from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, settings
from hypothesis.stateful import run_state_machine_as_test

from scenarios.bugzoo import planted
from tests.hypothesis.ledger_machine import LedgerMachine

STEPS_SHORT_MAX = 8  # of the up to 20 steps a program may take

TestCleanLedger = LedgerMachine.TestCase
TestCleanLedger.settings = settings(max_examples=60, stateful_step_count=30, deadline=None)


def falsifying_steps(bug: str) -> tuple[str, list[str]]:
    """Run the machine with `bug` planted; return the error and the steps Hypothesis printed."""
    with planted(bug):
        with pytest.raises(AssertionError) as caught:
            run_state_machine_as_test(
                LedgerMachine,
                settings=settings(max_examples=1500, stateful_step_count=20, deadline=None, derandomize=True,
                                  database=None, suppress_health_check=[HealthCheck.too_slow]),
            )
    error = caught.value
    notes = list(getattr(error, "__notes__", []))
    steps = [line.strip() for line in notes if re.match(r"state\.\w+\(", line.strip())]
    rules = [step for step in steps if not step.startswith(("state.ledger_reads_back", "state.teardown"))]
    return str(error), rules


def test_a_writer_that_appends_after_a_torn_tail_is_found_and_shrunk_to_a_short_program():
    message, steps = falsifying_steps("append_after_torn_tail")
    assert "readable prefix" in message or "lost" in message
    calls = [step.split("(")[0] for step in steps]
    assert "state.crash_mid_write" in calls and "state.reopen" in calls
    assert calls.index("state.crash_mid_write") < len(calls) - 1 - calls[::-1].index("state.reopen")
    assert len(steps) <= STEPS_SHORT_MAX, steps


def test_a_per_segment_sequence_is_found_and_shrunk_to_a_short_program():
    message, steps = falsifying_steps("per_segment_sequence")
    assert "sequence" in message
    assert len(steps) <= STEPS_SHORT_MAX, steps
