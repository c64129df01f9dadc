"""FaultPlan: round-trips through JSON and TOML; malformed plans are refused with the field named."""
from __future__ import annotations

import pytest
from pydantic import ValidationError

from faults import FAULT_KINDS, ClockSpec, CrashSpec, FaultPlan, FaultPlanError, FaultSpec


def full_plan() -> FaultPlan:
    return FaultPlan(
        kinds={
            "disk.short_write": FaultSpec(probability=0.1, params={"keep_fraction": (0.1, 0.5)}),
            "net.partition": FaultSpec(probability=0.02, window_s=(5.0, 60.0)),
            "clock.jump": FaultSpec(probability=0.01, params={"delta_s": (-7200.0, -60.0)}),
        },
        crashes=[CrashSpec(node="omen", at_s=12.5, restart_after_s=3.0)],
        clock=[ClockSpec(node="riskcast", at_s=1.0, kind="skew", value=1.001),
               ClockSpec(node="omen", at_s=2.0, kind="jump", value=-30.0)],
        tick_s=0.25,
    )


def test_a_plan_round_trips_through_json() -> None:
    plan = full_plan()
    assert FaultPlan.from_json(plan.to_json()) == plan


def test_a_plan_round_trips_through_toml() -> None:
    plan = full_plan()
    text = plan.to_toml()
    assert '[kinds."disk.short_write"]' in text
    assert FaultPlan.from_toml(text) == plan


def test_every_catalogue_kind_can_be_saved_and_loaded(tmp_path) -> None:
    plan = FaultPlan(kinds={name: FaultSpec(probability=0.5) for name in FAULT_KINDS})
    for suffix in (".json", ".toml"):
        path = tmp_path / f"plan{suffix}"
        plan.save(path)
        assert FaultPlan.load(path) == plan


def test_the_saved_plan_does_not_depend_on_the_order_kinds_were_written_in() -> None:
    a = FaultPlan(kinds={"net.duplicate": FaultSpec(probability=0.1), "disk.enospc": FaultSpec(probability=0.2)})
    b = FaultPlan(kinds={"disk.enospc": FaultSpec(probability=0.2), "net.duplicate": FaultSpec(probability=0.1)})
    assert a.to_json() == b.to_json()
    assert a.to_toml() == b.to_toml()


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ('{"kinds": {"disk.enospc": {"probability": 1.5}}}', 'kinds["disk.enospc"].probability'),
        ('{"kinds": {"disk.enospc": {"probabilty": 0.5}}}', 'kinds["disk.enospc"].probabilty'),
        ('{"kinds": {"disk.nope": {"probability": 0.5}}}', "kinds"),
        ('{"kinds": {"net.delay_spike": {"probability": 0.5, "params": {"delay_s": [0.0, 99999.0]}}}}', "kinds"),
        ('{"kinds": {"net.delay_spike": {"probability": 0.5, "params": {"bogus": [0.0, 1.0]}}}}', "kinds"),
        ('{"kinds": {"disk.enospc": {"probability": 0.5, "window_s": [10, 5]}}}', 'kinds["disk.enospc"].window_s'),
        ('{"crashes": [{"node": "omen", "at_s": -1}]}', "crashes[0].at_s"),
        ('{"crashes": [{"node": "omen"}]}', "crashes[0].at_s"),
        ('{"clock": [{"node": "omen", "at_s": 1, "kind": "warp", "value": 1}]}', "clock[0].kind"),
        ('{"clock": [{"node": "omen", "at_s": 1, "kind": "skew", "value": 0}]}', "clock[0]"),
        ('{"kinds": {"net.partition": {"probability": 0.5, "params": {"refuse": [0.2, 0.8]}}}}', "kinds"),
        ('{"tick_s": 0}', "tick_s"),
        ('{"chaos": true}', "chaos"),
    ],
)
def test_a_malformed_plan_is_refused_with_the_field_named(text: str, field: str) -> None:
    with pytest.raises(FaultPlanError) as caught:
        FaultPlan.from_json(text)
    assert field in caught.value.fields
    assert field in str(caught.value)


def test_an_unknown_kind_error_lists_the_known_kinds() -> None:
    with pytest.raises(FaultPlanError, match="unknown fault kind 'disk.nope'.*disk.enospc"):
        FaultPlan.from_json('{"kinds": {"disk.nope": {"probability": 0.5}}}')


def test_a_malformed_toml_plan_is_refused_with_the_field_named() -> None:
    with pytest.raises(FaultPlanError) as caught:
        FaultPlan.from_toml('[kinds."net.refused"]\nprobability = "often"\n')
    assert caught.value.fields == ['kinds["net.refused"].probability']


def test_broken_syntax_is_refused_with_a_clear_error() -> None:
    with pytest.raises(FaultPlanError, match="not valid JSON"):
        FaultPlan.from_json("{kinds:")
    with pytest.raises(FaultPlanError, match="not valid TOML"):
        FaultPlan.from_toml("[kinds\n")


def test_a_plan_file_of_unknown_format_is_refused(tmp_path) -> None:
    path = tmp_path / "plan.yaml"
    path.write_text("{}")
    with pytest.raises(FaultPlanError, match="json or \\*.toml"):
        FaultPlan.load(path)


def test_building_a_bad_plan_in_code_raises_a_validation_error() -> None:
    with pytest.raises(ValidationError):
        FaultSpec(probability=-0.1)


def test_the_plan_is_printable() -> None:
    text = full_plan().describe()
    assert "disk.short_write: p=0.1" in text
    assert "crash omen at 12.5s" in text
