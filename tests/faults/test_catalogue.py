"""The fault catalogue: the kinds docs/faults.md lists exist under stable dotted names."""
from __future__ import annotations

import re
from pathlib import Path

from faults import FAULT_KINDS, kinds_of_layer

DOCS_FAULTS = Path(__file__).resolve().parents[2] / "docs" / "faults.md"


def _kinds_the_docs_list() -> set[str]:
    """The names in the first column of docs/faults.md's table of kinds."""
    table = DOCS_FAULTS.read_text(encoding="utf-8").split("## Fault kinds", 1)[1].split("\n## ", 1)[0]
    first_cells = [line.split("|")[1] for line in table.splitlines() if line.startswith("| `")]
    return {name for cell in first_cells for name in re.findall(r"`([a-z]+\.[a-z_0-9]+)`", cell)}


def test_the_catalogue_holds_exactly_the_kinds_docs_faults_lists() -> None:
    listed = _kinds_the_docs_list()
    assert len(listed) >= 20
    assert listed == set(FAULT_KINDS), (sorted(listed - set(FAULT_KINDS)), sorted(set(FAULT_KINDS) - listed))


def test_every_kind_is_named_for_its_layer_and_described() -> None:
    for name, info in FAULT_KINDS.items():
        assert info.name == name
        assert name.startswith(info.layer + ".")
        assert info.description


def test_kinds_of_a_layer_come_in_catalogue_order() -> None:
    assert kinds_of_layer("proc") == ["proc.crash_omen", "proc.crash_riskcast", "proc.crash_reconciler"]
