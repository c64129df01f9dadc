"""The explicit fault schedule: every fault that fired, as (point, node, occurrence, kind, params).

WHY: a failing run is reproduced, and later shrunk, from its schedule rather than from the fault
rng. Replaying a schedule makes exactly the listed faults fire at exactly the listed occurrences of
their injection points, with the listed parameters, and nothing else; the fault rng is not touched.
Removing entries from a schedule is how a shrinker searches for a smaller failing run.
"""
from __future__ import annotations

import json
from typing import Iterable

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from sim.errors import HarnessError

ParamValue = int | float | str

ScheduleKey = tuple[str, str, str, int]  # (point, node, kind, occurrence)


class ScheduleEntry(BaseModel):
    """One fired fault. `occurrence` counts the decisions of `kind` at `point` on `node`, from 1."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    point: str = Field(min_length=1)
    node: str = Field(min_length=1)
    occurrence: int = Field(ge=1)
    kind: str = Field(min_length=1)
    params: dict[str, ParamValue] = Field(default_factory=dict)

    def key(self) -> ScheduleKey:
        return (self.point, self.node, self.kind, self.occurrence)


class FaultScheduleError(HarnessError, ValueError):
    """A schedule file could not be read; the message says which entry or field is wrong."""


class FaultSchedule(BaseModel):
    """The faults of one run, in firing order. Round-trips through JSON."""

    model_config = ConfigDict(extra="forbid")

    entries: list[ScheduleEntry] = Field(default_factory=list)

    def __len__(self) -> int:
        return len(self.entries)

    def kinds(self) -> list[str]:
        return sorted({entry.kind for entry in self.entries})

    def subset(self, keep: Iterable[int]) -> FaultSchedule:
        """The schedule with only the entries at the given indexes (for shrinking)."""
        indexes = sorted(set(keep))
        assert all(0 <= i < len(self.entries) for i in indexes), "subset index out of range"
        return FaultSchedule(entries=[self.entries[i] for i in indexes])

    def to_json(self) -> str:
        return json.dumps(self.model_dump(mode="json"), indent=2, sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, text: str) -> FaultSchedule:
        try:
            return cls.model_validate_json(text)
        except ValidationError as error:
            details = "; ".join(
                f"{'.'.join(str(p) for p in item['loc']) or '(schedule)'}: {item['msg']}"
                for item in error.errors(include_url=False)
            )
            raise FaultScheduleError(f"invalid fault schedule: {details}") from None
