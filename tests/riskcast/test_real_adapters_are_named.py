"""Only the named real adapters may touch threads, the wall clock, uuid4 or HTTP libraries.

Everything else in RiskCast and the OMEN emitter runs inside the deterministic simulation.
"""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
REAL_ADAPTERS = {
    "system/omen/transport.py",
    "system/riskcast/app.py",
    "system/riskcast/cli.py",
    "system/riskcast/sql_thread.py",
    "system/riskcast/http_transport.py",
}
FORBIDDEN_MODULES = {"threading", "concurrent", "time", "uuid", "secrets", "socket", "httpx", "fastapi",
                     "uvicorn", "starlette"}
FORBIDDEN_ATTRIBUTES = {("datetime", "now"), ("datetime", "utcnow"), ("datetime", "today"), ("os", "urandom"),
                        ("date", "today")}
RANDOM_ALLOWED = {"Random"}


def offences_in(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [f"{node.lineno}: import {a.name}" for a in node.names if a.name.split(".")[0] in FORBIDDEN_MODULES]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            top = node.module.split(".")[0]
            if top in FORBIDDEN_MODULES or (top == "random" and {a.name for a in node.names} - RANDOM_ALLOWED):
                found.append(f"{node.lineno}: from {node.module} import ...")
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            if (node.value.id, node.attr) in FORBIDDEN_ATTRIBUTES:
                found.append(f"{node.lineno}: {node.value.id}.{node.attr}")
            if node.value.id == "random" and node.attr not in RANDOM_ALLOWED:
                found.append(f"{node.lineno}: random.{node.attr} (use a random.Random you are given)")
    return found


def test_simulated_code_reads_no_wall_clock_threads_uuid_or_network_outside_the_named_adapters() -> None:
    paths = sorted((ROOT / "system" / "riskcast").rglob("*.py")) + sorted((ROOT / "system" / "omen" / "emitter").rglob("*.py"))
    assert paths, "nothing scanned: the layout moved"
    offences = []
    for path in paths:
        relative = path.relative_to(ROOT).as_posix()
        if relative not in REAL_ADAPTERS:
            offences += [f"{relative}:{o}" for o in offences_in(path)]
    assert not offences, "move real-only code into a named real adapter:\n" + "\n".join(offences)


def test_the_checker_catches_what_it_claims_to(tmp_path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("import uuid\nimport random\nfrom datetime import datetime\nx = datetime.now()\ny = random.random()\n")
    assert len(offences_in(sample)) == 3
