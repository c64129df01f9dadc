"""The real run's `CheckContext`: the simulation's checkers fed with what the harness observed.

Built only from files and rows: the history (the proxy's view of every request and response, each
process's JSON-lines results, the harness's own observations), the ledger files read by the
independent frame parser, the SQLite rows, and the snapshots taken at every kill. See
docs/real-twin.md for which parts of each invariant this evidence can judge.
"""
from __future__ import annotations

import itertools
import os
import sqlite3
from pathlib import Path
from typing import Any

from scenarios import observers
from scenarios.invariants import CHECKERS, CheckContext, Violation
from scenarios.real import ledger_files
from sim.trace import TraceEvent

VIOLATIONS_PER_INVARIANT_MAX = 10


# the same facts the simulation's world gathers, gathered from real processes and files
# (`crash_state_findings` stays empty: the enumerated crash states are the simulation's alone)
RealObservations = observers.Observations


def _recorder(events: list[Any]):  # noqa: ANN202
    """A `record(node, kind, **fields)` that appends to the history's events, as the harness does."""
    def record(node: str, kind: str, /, **fields: Any) -> int:
        events.append(TraceEvent(len(events), events[-1].time_s if events else 0.0, node, kind, fields))
        return len(events) - 1
    return record


def final_context(events: list[Any], ledger_root: Path, db_path: Path, observations: RealObservations,
                  faults: dict[str, int]) -> CheckContext:
    """Read once every process has stopped, through the same observer that ends a simulated run.

    A SIGKILL keeps the page cache and no power is lost in a real run, so what the files hold is
    also what is durable: both views are the same files; the system's reader runs on the real `os`."""
    # the manifests as they are at the end, beside their frames (the simulation also looks at each
    # seal and each reconcile pass; a real run's files are read only once everything stopped)
    observers.ManifestObserver(observers.OsFiles(), ledger_root.as_posix(), _recorder(events)).observe()
    files = ledger_files.read_files(ledger_root)
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        return observers.final_context(
            root=ledger_root.as_posix(), visible_files=files, durable_files=files, reader_fs=os, conn=conn,
            events=events, observations=observations, faults_fired=dict(sorted(faults.items())),
        )
    finally:
        conn.close()


def judge(context: CheckContext) -> tuple[list[Violation], dict[str, dict[str, int]]]:
    """Every checker of the simulation, on the real run's context."""
    violations: list[Violation] = []
    invariants: dict[str, dict[str, int]] = {}
    for name, checker in CHECKERS.items():
        found = list(itertools.islice(checker(context), VIOLATIONS_PER_INVARIANT_MAX))
        violations.extend(found)
        invariants[name] = {"checked": 1, "violated": 1 if found else 0}
    return violations, invariants
