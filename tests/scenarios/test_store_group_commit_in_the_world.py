"""RiskCast's group commit inside the simulated world: on where it is switched on, batches really
form, the clean system holds every invariant, and its planted bug loses acknowledged rows."""
from __future__ import annotations

import pytest

from riskcast import store_group_commit as group_module
from scenarios.bugzoo import planted
from scenarios.catalog import get_scenario
from scenarios.runner import run

SEEDS = range(10)


@pytest.mark.parametrize("scenario", ["riskcast_crash", "concurrent_duplicates"])
def test_batches_of_several_rows_form_and_every_invariant_holds(scenario: str, monkeypatch) -> None:
    assert get_scenario(scenario).defaults.store_commit_rows_max > 1
    sizes: list[int] = []
    commit = group_module.StoreGroupCommit._commit

    async def counting(self, batch):  # noqa: ANN001, ANN202
        sizes.append(len(batch))
        return await commit(self, batch)

    monkeypatch.setattr(group_module.StoreGroupCommit, "_commit", counting)
    for seed in range(3):
        result = run(scenario, seed)
        assert result.ok, [v.to_json() for v in result.violations]
    assert max(sizes) > 1, "no batch ever held two rows: group commit was never exercised"


def test_answering_a_batch_before_its_commit_loses_acknowledged_rows_on_a_crash() -> None:
    caught = set()
    with planted("group_ack_before_commit"):
        for seed in SEEDS:
            caught |= {v.invariant for v in run("riskcast_crash", seed).violations}
    assert "persist_before_ack" in caught
