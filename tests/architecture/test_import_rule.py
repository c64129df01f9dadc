"""docs/architecture.md, "The dependency rule": the one dependency rule, enforced so it cannot rot.

- system (omen, riskcast) imports nothing of sim, faults, scenarios;
- sim imports nothing of system, faults, scenarios: it is a generic kernel;
- faults imports sim only;
- scenarios is the composition root and may import everything.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
OURS = {"omen", "riskcast", "sim", "faults", "scenarios"}

# part -> (source folders, top-level packages of ours it may import)
ALLOWED: dict[str, tuple[list[Path], set[str]]] = {
    "omen": ([ROOT / "system" / "omen"], {"omen"}),
    "riskcast": ([ROOT / "system" / "riskcast"], {"riskcast", "omen"}),
    "sim": ([ROOT / "sim"], {"sim"}),
    "faults": ([ROOT / "faults"], {"faults", "sim"}),
    "scenarios": ([ROOT / "scenarios"], OURS),
}


def imported_top_levels(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name.split(".")[0]) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module.split(".")[0]))
    return found


@pytest.mark.parametrize("part", sorted(ALLOWED))
def test_part_imports_only_what_the_design_allows(part: str) -> None:
    folders, allowed = ALLOWED[part]
    offences = []
    for folder in folders:
        for path in sorted(folder.rglob("*.py")):
            for lineno, top in imported_top_levels(path):
                if top in OURS and top not in allowed:
                    offences.append(f"{path.relative_to(ROOT)}:{lineno} imports {top}")
    assert not offences, f"{part} may import only {sorted(allowed)}:\n" + "\n".join(offences)


def test_riskcast_does_not_reach_into_omen_internals_beyond_its_public_api() -> None:
    """RiskCast reads the ledger as over a shared volume: through omen's public names only."""
    offences = []
    for path in sorted((ROOT / "system" / "riskcast").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("omen."):
                offences.append(f"{path.relative_to(ROOT)}:{node.lineno} from {node.module}")
    assert not offences, "import from `omen` itself, not its submodules:\n" + "\n".join(offences)
