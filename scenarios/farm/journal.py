"""The farm's journal: the sweep written down before the farm starts, each result appended as it arrives.

A client that dies (killed, machine lost, Ctrl-C) leaves a journal; `omen-sim sweep --resume FILE`
reads it, runs only the jobs it has no result for, and builds the summary from both. JSON Lines:

    {"journal": "omen-farm-sweep", "format": 1, "scenarios": [...], "seeds": [A, B], "bug": ..., "repro_dir": ...}
    {"index": 0, "scenario": "calm", "seed": 0, "outcome": {...}}      one line per finished job

Jobs are numbered seed-major, scenarios in the header's order (the local sweep's order). A last line
cut short (the client died while appending it) is dropped and cut from the file before appending;
any other damage is a `JournalError` and the file is left as it was.
"""
from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from scenarios.sweep import SEEDS_MAX, Job, JobOutcome

JOURNAL_KIND = "omen-farm-sweep"
JOURNAL_FORMAT = 1
JOURNAL_LINE_BYTES_MAX = 16 * 1024 * 1024  # one outcome; violations are capped per run


class JournalError(ValueError):
    """A journal file that cannot be resumed: missing, not a farm journal, or damaged."""


@dataclass(frozen=True)
class SweepPlan:
    """What a farm sweep runs: scenarios x seeds (seed-major), one planted bug or none."""

    scenarios: tuple[str, ...]
    seeds: range
    bug: str | None
    repro_dir: str | None

    def __post_init__(self) -> None:
        if not self.scenarios:
            raise ValueError("a sweep needs at least one scenario")
        if self.seeds.step != 1 or not 0 <= self.seeds.start < self.seeds.stop or len(self.seeds) > SEEDS_MAX:
            raise ValueError(f"seeds {self.seeds.start}:{self.seeds.stop} are not 0 <= A < B with at most "
                             f"{SEEDS_MAX} seeds")

    def jobs(self) -> list[Job]:
        return [Job(name, seed, self.bug, self.repro_dir) for seed in self.seeds for name in self.scenarios]

    def header(self) -> dict[str, Any]:
        return {"journal": JOURNAL_KIND, "format": JOURNAL_FORMAT, "scenarios": list(self.scenarios),
                "seeds": [self.seeds.start, self.seeds.stop], "bug": self.bug, "repro_dir": self.repro_dir}


@dataclass
class JournalState:
    plan: SweepPlan
    outcomes: dict[int, JobOutcome] = field(default_factory=dict)


def _line(document: dict[str, Any]) -> bytes:
    return (json.dumps(document, sort_keys=True, separators=(",", ":")) + "\n").encode("utf-8")


class Journal:
    """An open journal, appended to as results arrive (each line flushed and fsynced)."""

    def __init__(self, path: Path, plan: SweepPlan) -> None:
        self.path = path
        self.plan = plan
        self._jobs = plan.jobs()
        self._recorded: set[int] = set()

    @classmethod
    def create(cls, path: Path, plan: SweepPlan) -> "Journal":
        """Write the header (the whole seed range) before any run starts."""
        path.parent.mkdir(parents=True, exist_ok=True)
        temp = path.with_suffix(path.suffix + ".tmp")
        with open(temp, "wb") as stream:
            stream.write(_line(plan.header()))
            stream.flush()
            os.fsync(stream.fileno())
        temp.replace(path)
        return cls(path, plan)

    @classmethod
    def reopen(cls, path: Path) -> tuple["Journal", JournalState]:
        """Load a journal to resume it; cut a torn last line so appends start on a line of their own."""
        state, good_bytes = _read(path)
        if good_bytes < path.stat().st_size:
            with open(path, "r+b") as stream:
                stream.truncate(good_bytes)
                os.fsync(stream.fileno())
        journal = cls(path, state.plan)
        journal._recorded.update(state.outcomes)
        return journal, state

    def append(self, index: int, outcome: JobOutcome) -> None:
        job = self._jobs[index]
        assert (outcome.scenario, outcome.seed) == (job.scenario, job.seed), (index, outcome.scenario, outcome.seed)
        assert index not in self._recorded, f"job {index} journaled twice"
        self._recorded.add(index)
        line = _line({"index": index, "scenario": job.scenario, "seed": job.seed, "outcome": asdict(outcome)})
        with open(self.path, "ab") as stream:
            stream.write(line)
            stream.flush()
            os.fsync(stream.fileno())


def _plan_from_header(path: Path, header: Any) -> SweepPlan:
    if not isinstance(header, dict) or header.get("journal") != JOURNAL_KIND:
        raise JournalError(f"{path} is not a farm sweep journal (its first line names no {JOURNAL_KIND!r})")
    if header.get("format") != JOURNAL_FORMAT:
        raise JournalError(f"{path}: journal format {header.get('format')!r}, this tool reads {JOURNAL_FORMAT}")
    try:
        start, stop = header["seeds"]
        scenarios = tuple(header["scenarios"])
        plan = SweepPlan(scenarios, range(int(start), int(stop)), header["bug"], header["repro_dir"])
    except (KeyError, TypeError, ValueError) as error:
        raise JournalError(f"{path}: malformed journal header {header!r}: {error!r}") from None
    from scenarios.catalog import get_scenario

    for name in plan.scenarios:
        get_scenario(name)  # an unknown scenario is the catalog's typed error
    return plan


def _outcome(path: Path, number: int, document: Any, jobs: list[Job]) -> tuple[int, JobOutcome]:
    try:
        index = document["index"]
        outcome = JobOutcome(**document["outcome"])
    except (KeyError, TypeError) as error:
        raise JournalError(f"{path} line {number}: not a journaled result ({error!r})") from None
    if not isinstance(index, int) or not 0 <= index < len(jobs):
        raise JournalError(f"{path} line {number}: job index {index!r} outside the journal's {len(jobs)} jobs")
    job = jobs[index]
    if (outcome.scenario, outcome.seed, document.get("scenario"), document.get("seed")) != (
            job.scenario, job.seed, job.scenario, job.seed):
        raise JournalError(f"{path} line {number}: job {index} is {job.scenario} seed {job.seed}, "
                           f"the line says {outcome.scenario} seed {outcome.seed}")
    return index, outcome


def _read(path: Path) -> tuple[JournalState, int]:
    """The journal's plan and results, and the length of its last complete line in bytes."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise JournalError(f"cannot read journal {path}: {error.strerror or error}") from error
    lines = data.split(b"\n")
    # A file cut inside its last line: everything after the last newline is that torn line.
    complete, torn = lines[:-1], lines[-1]
    good_bytes = len(data) - len(torn)
    if not complete:
        raise JournalError(f"{path} has no complete header line: not a farm journal, or cut before it started")
    state: JournalState | None = None
    jobs: list[Job] = []
    for number, raw in enumerate(complete, start=1):
        if len(raw) > JOURNAL_LINE_BYTES_MAX:
            raise JournalError(f"{path} line {number} is longer than {JOURNAL_LINE_BYTES_MAX} bytes")
        try:
            document = json.loads(raw)
        except ValueError as error:
            raise JournalError(f"{path} line {number} is not JSON ({error}); the journal is damaged") from None
        if state is None:
            state = JournalState(_plan_from_header(path, document))
            jobs = state.plan.jobs()
            continue
        index, outcome = _outcome(path, number, document, jobs)
        previous = state.outcomes.get(index)
        if previous is not None and previous.trace_hash != outcome.trace_hash:
            raise JournalError(f"{path} line {number}: job {index} journaled twice with different trace hashes")
        state.outcomes.setdefault(index, outcome)  # counted once, whatever the file holds
    assert state is not None
    return state, good_bytes
