"""The nemesis' schedule: seeded, bounded, every family and target covered, bad specs refused."""
from __future__ import annotations

import pytest

from scenarios.real.nemesis import FAMILIES, PROCESS_NAMES, NemesisSpecError, parse_families, plan
from scenarios.real.proxy import FAULT_KINDS


def test_the_same_seed_gives_the_same_schedule_and_another_seed_another() -> None:
    assert plan(3, 30.0, frozenset(FAMILIES)) == plan(3, 30.0, frozenset(FAMILIES))
    assert plan(3, 30.0, frozenset(FAMILIES)) != plan(4, 30.0, frozenset(FAMILIES))


def test_a_thirty_second_run_kills_and_pauses_each_process_a_few_times_and_meets_every_proxy_fault() -> None:
    actions = plan(0, 30.0, frozenset(FAMILIES))
    for family in ("kill", "pause"):
        for name in PROCESS_NAMES:
            assert sum(1 for a in actions if a.family == family and a.target == name) >= 2, (family, name)
    assert {a.target for a in actions if a.family == "proxy"} == set(FAULT_KINDS)
    assert all(2.0 <= a.at_s <= 28.0 for a in actions)
    assert [a.at_s for a in actions] == sorted(a.at_s for a in actions)


def test_only_the_chosen_families_act_and_a_run_too_short_has_none() -> None:
    assert {a.family for a in plan(1, 30.0, frozenset({"pause"}))} == {"pause"}
    assert plan(1, 30.0, frozenset()) == []
    assert plan(1, 4.0, frozenset(FAMILIES)) == []


def test_only_omen_kills_may_tear_a_tail() -> None:
    actions = [a for seed in range(20) for a in plan(seed, 30.0, frozenset({"kill"}))]
    assert any(a.torn_tail for a in actions)
    assert all(a.target == "omen" for a in actions if a.torn_tail)


def test_families_are_parsed_and_unknown_ones_refused() -> None:
    assert parse_families("kill,proxy") == frozenset({"kill", "proxy"})
    assert parse_families("none") == frozenset()
    for bad in ("", "kill,flood", "none,kill"):
        with pytest.raises(NemesisSpecError, match="--nemesis"):
            parse_families(bad)
