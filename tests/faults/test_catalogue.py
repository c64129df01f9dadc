"""The fault catalogue: the kinds the issue names exist under stable dotted names."""
from __future__ import annotations

from faults import FAULT_KINDS, kinds_of_layer

ISSUE_KINDS = [
    "disk.short_write", "disk.enospc", "disk.write_eio", "disk.read_eio", "disk.fsync_eio",
    "disk.fsync_lie", "disk.bitflip", "disk.crash_at_op",
    "net.drop_request", "net.drop_response", "net.duplicate", "net.delay_spike", "net.partition",
    "net.refused", "net.http_5xx",
    "proc.crash_omen", "proc.crash_riskcast", "proc.crash_reconciler",
    "clock.skew", "clock.jump",
]


def test_every_kind_the_issue_names_is_in_the_catalogue() -> None:
    missing = [name for name in ISSUE_KINDS if name not in FAULT_KINDS]
    assert not missing


def test_every_kind_is_named_for_its_layer_and_described() -> None:
    for name, info in FAULT_KINDS.items():
        assert info.name == name
        assert name.startswith(info.layer + ".")
        assert info.description


def test_kinds_of_a_layer_come_in_catalogue_order() -> None:
    assert kinds_of_layer("proc") == ["proc.crash_omen", "proc.crash_riskcast", "proc.crash_reconciler"]
