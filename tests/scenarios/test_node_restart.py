"""A node that cannot start again is a finding, never an exception lost in a timer or a fault task.

Restarts run from the supervisor's timer or from the process-fault driver's task, outside any
node's guarded task. `group_ack_before_commit` (a planted bug) keeps RiskCast's transaction open
across an await; in `riskcast_crash` seed 1000004 the reconciler, crashed by a fault, then cannot
start again on the shared database. That used to end the fault driver's task with an exception
asyncio only printed ("Task exception was never retrieved"), and the reconciler stayed up with
nothing running.
"""
from __future__ import annotations

import gc

import pytest

from scenarios.runner import run


def test_a_node_that_cannot_start_again_is_reported_by_recoverability(caplog: pytest.LogCaptureFixture) -> None:
    result = run("riskcast_crash", 1000004, bug="group_ack_before_commit", keep_world=True)
    gc.collect()  # an unretrieved task exception is logged when its task is collected
    findings = [v.message for v in result.violations if v.invariant == "recoverability"]
    assert any("reconciler could not start again: AssertionError" in message for message in findings), findings
    assert "Task exception was never retrieved" not in caplog.text
    errors = result.world.trace.of_kind("task.error")
    assert any(event.node == "reconciler" for event in errors)


def test_a_fault_drivers_task_that_dies_is_reported_not_lost(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tasks on the fault drivers' node are not the world's guarded tasks: the runner collects
    whatever killed them from the nodes and `recoverability` reports it."""
    from faults.process_faults import ProcessFaults

    async def broken_restart(self, name: str, restart_after_s: float) -> None:  # noqa: ANN001
        raise RuntimeError(f"the restart of {name} broke")

    monkeypatch.setattr(ProcessFaults, "_restart_later", broken_restart)
    result = run("riskcast_crash", 2)  # five planned crashes of RiskCast, each restarted by the driver
    findings = [v.message for v in result.violations if v.invariant == "recoverability"]
    assert any("died: RuntimeError: the restart of" in message for message in findings), findings
