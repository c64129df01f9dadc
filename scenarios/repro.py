"""Repro files: everything needed to replay a run exactly, written before the report.

A repro names the tool version, the git commit, the scenario, the seed, the resolved
parameters and fault plan, the recorded fault schedule, the planted bug (if any) and the
trace hash the run produced. `omen-sim replay FILE` runs it again and compares hashes.
"""
from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from faults import FaultPlan, FaultSchedule
from sim.errors import HarnessError

TOOL_VERSION = "0.1.0"
REPRO_FORMAT = 1


class ReproError(HarnessError, ValueError):
    """A repro file could not be read: missing, not JSON, or not a repro."""


class Repro(BaseModel):
    model_config = ConfigDict(extra="forbid")

    format: int = Field(default=REPRO_FORMAT, ge=1, le=REPRO_FORMAT)
    tool_version: str = TOOL_VERSION
    git_commit: str | None = None
    scenario: str
    seed: int = Field(ge=0)
    params: dict[str, Any]
    plan: FaultPlan
    schedule: FaultSchedule | None = None
    bug: str | None = None
    trace_hash: str
    violations: list[dict[str, Any]] = Field(default_factory=list)
    # True in a minimized repro: replay fires exactly `schedule` (the plan's random kinds are off).
    replay_schedule: bool = False

    def save(self, path: str | Path) -> Path:
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        temp = target.with_suffix(target.suffix + ".tmp")
        temp.write_text(self.model_dump_json(indent=2) + "\n", encoding="utf-8")
        temp.replace(target)
        return target

    @classmethod
    def load(cls, path: str | Path) -> "Repro":
        source = Path(path)
        try:
            text = source.read_text(encoding="utf-8")
        except OSError as error:
            raise ReproError(f"cannot read repro file {source}: {error.strerror or error}") from error
        try:
            data = json.loads(text)
        except ValueError as error:
            raise ReproError(f"repro file {source} is not JSON: {error}") from error
        try:
            return cls.model_validate(data)
        except ValidationError as error:
            fields = ", ".join(".".join(str(p) for p in e["loc"]) or "<root>" for e in error.errors())
            raise ReproError(f"repro file {source} is not a valid repro (fields: {fields}):\n{error}") from error


def git_commit(cwd: Path | None = None) -> str | None:
    """The commit of the checkout, or None outside a git checkout."""
    try:
        completed = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=cwd or Path(__file__).resolve().parent,
            capture_output=True, text=True, timeout=10, check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return completed.stdout.strip() or None if completed.returncode == 0 else None


def repro_from_result(result: Any, commit: str | None) -> Repro:
    return Repro(
        git_commit=commit,
        scenario=result.scenario,
        seed=result.seed,
        params=result.params.model_dump(mode="json"),
        plan=result.plan,
        schedule=result.schedule,
        bug=result.bug,
        trace_hash=result.trace_hash,
        violations=[v.to_json() for v in result.violations],
    )


def default_repro_path(directory: Path, scenario: str, seed: int, bug: str | None) -> Path:
    suffix = f"-{bug}" if bug else ""
    return directory / f"{scenario}-{seed}{suffix}.json"
