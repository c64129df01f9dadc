"""ReconcileStateStore: when a partition needs reconcile, and what each run left behind."""
from __future__ import annotations

import asyncio

import pytest

from riskcast import InlineSqlRunner, ReconcileResult, ReconcileStateStore


def reconciled(partition: str, hw: int, reason: str = "never_reconciled") -> ReconcileResult:
    return ReconcileResult(partition=partition, status="reconciled", reason=reason, ledger_count=hw,
                           highwater=hw, revision=1)


def test_needs_reconcile_names_the_audit_reasons(clock) -> None:
    state = ReconcileStateStore(InlineSqlRunner.in_memory(), clock=clock)

    async def scenario():
        never = await state.needs_reconcile("2024-03-01-late", 3, 1)
        await state.record_success("2024-03-01-late", 3, 1, reconciled("2024-03-01-late", 3))
        return [
            never,
            await state.needs_reconcile("2024-03-01-late", 3, 1),
            await state.needs_reconcile("2024-03-01-late", 4, 1),
            await state.needs_reconcile("2024-03-01-late", 3, 2),
            await state.needs_reconcile("2024-03-01-late", 4, 2),
            await state.needs_reconcile("2024-03-01-late", 2, 1),
        ]

    assert asyncio.run(scenario()) == [
        (True, "never_reconciled"),
        (False, "up_to_date"),
        (True, "highwater_increased"),
        (True, "manifest_revision_increased"),
        (True, "highwater_increased,manifest_revision_increased"),
        (True, "highwater_decreased"),
    ]


def test_success_advances_the_state_and_every_run_leaves_a_history_row(clock) -> None:
    state = ReconcileStateStore(InlineSqlRunner.in_memory(), clock=clock)
    skipped = ReconcileResult(partition="2024-03-02", status="skipped", reason="main_partition_not_sealed")

    async def scenario():
        await state.record_attempt("2024-03-02", 5, 0, skipped)
        await state.record_success("2024-03-01", 7, 2, reconciled("2024-03-01", 7))
        return (await state.get_state("2024-03-01"), await state.get_state("2024-03-02"),
                await state.history(10), await state.history(10, partition="2024-03-02"))

    current, never, history, of_one = asyncio.run(scenario())
    assert (current.ledger_highwater, current.manifest_revision, current.status) == (7, 2, "reconciled")
    assert current.reconciled_at == clock.now().isoformat()
    assert never is None, "an attempt that did not succeed must not create state"
    assert [entry.partition for entry in history] == ["2024-03-01", "2024-03-02"], "newest first"
    assert history[1].result == skipped
    assert [entry.status for entry in of_one] == ["skipped"]


def test_a_history_limit_outside_bounds_is_refused(clock) -> None:
    state = ReconcileStateStore(InlineSqlRunner.in_memory(), clock=clock)
    with pytest.raises(ValueError, match="1..1000"):
        asyncio.run(state.history(0))
