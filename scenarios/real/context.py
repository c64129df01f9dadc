"""The real run's `CheckContext`: the simulation's checkers fed with what the harness observed.

Built only from files and rows: the history (the proxy's view of every request and response, each
process's JSON-lines results, the harness's own observations), the ledger files read by the
independent frame parser, the SQLite rows, and the snapshots taken at every kill. See
docs/real-twin.md for which parts of each invariant this evidence can judge.
"""
from __future__ import annotations

import hashlib
import itertools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from omen import LedgerReader
from omen.ledger import LedgerCorruptionError
from scenarios.invariants import CHECKERS, CheckContext, Violation
from scenarios.ledger_oracle import parse_ledger
from scenarios.real import database_rows, ledger_files

VIOLATIONS_PER_INVARIANT_MAX = 10


@dataclass
class RealObservations:
    """The same facts the simulation's world gathers, gathered from real processes and files."""

    crash_snapshots: list[tuple[int, dict[tuple[str, int], str], set[str], set[str]]] = field(default_factory=list)
    final_segment_hashes: dict[str, dict[str, str]] = field(default_factory=dict)
    sealed_segments: dict[str, dict[str, str]] = field(default_factory=dict)
    sealed_at_index: dict[str, int] = field(default_factory=dict)
    converged: bool = False
    deadlock: str | None = None
    unexpected_errors: list[tuple[int, str]] = field(default_factory=list)
    crash_state_findings: list[tuple[int, str]] = field(default_factory=list)  # the simulation's alone


def reader_view(root: Path) -> dict[str, list[str] | str]:
    """What the system's own reader yields per partition (the checkers compare it to the oracle)."""
    reader = LedgerReader(str(root))
    view: dict[str, list[str] | str] = {}
    try:
        names = reader.list_partitions()
    except OSError as error:
        return {"<root>": f"{type(error).__name__}: {error}"}
    for name in names:
        try:
            view[name] = [record.event.signal_id for record in reader.read_partition(name)]
        except (LedgerCorruptionError, OSError) as error:
            view[name] = f"{type(error).__name__}: {error}"
    return view


def final_context(events: list[Any], ledger_root: Path, db_path: Path, observations: RealObservations,
                  faults: dict[str, int]) -> CheckContext:
    """Read once every process has stopped. A SIGKILL keeps the page cache and no power is lost in a
    real run, so what the files hold is also what is durable: both views are the same files."""
    files = ledger_files.read_files(ledger_root)
    root = ledger_root.as_posix()
    partitions = parse_ledger(files, root)
    for name in partitions:
        prefix = f"{root}/{name}/"
        observations.final_segment_hashes[name] = {
            path[len(prefix):]: hashlib.sha256(data).hexdigest()
            for path, data in files.items() if path.startswith(prefix) and path.endswith(".log")
        }
    state = {row[0]: int(row[1] or 0) for row in database_rows.reconcile_state(db_path)}
    return CheckContext(
        events=events,
        final_visible=partitions,
        final_durable=partitions,
        stored_rows=database_rows.stored_rows(db_path),
        reconcile_state=state,
        reader_view=reader_view(ledger_root),
        observations=observations,
        faults_fired=dict(sorted(faults.items())),
    )


def judge(context: CheckContext) -> tuple[list[Violation], dict[str, dict[str, int]]]:
    """Every checker of the simulation, on the real run's context."""
    violations: list[Violation] = []
    invariants: dict[str, dict[str, int]] = {}
    for name, checker in CHECKERS.items():
        found = list(itertools.islice(checker(context), VIOLATIONS_PER_INVARIANT_MAX))
        violations.extend(found)
        invariants[name] = {"checked": 1, "violated": 1 if found else 0}
    return violations, invariants
