"""The fault plan: which faults may fire in a run, how often, when, plus scripted crashes and clocks.

WHY a pydantic model with extra="forbid": a plan is written by hand, drawn by swarm mode, saved with
every failing run and loaded again to replay it. A typo in a hand-written plan ("probabilty") must be
refused loudly, naming the field, rather than silently turning a fault off.

Only the kinds listed in `kinds` can fire; everything else is off. Probabilities are per decision:
per operation for "op"-driven kinds, per fault tick (`tick_s`) for "tick"-driven kinds (see
`faults.kinds.FaultKindInfo.driver`).
"""
from __future__ import annotations

import json
import math
import tomllib
from pathlib import Path
from typing import Any, Literal

import tomli_w
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from faults.kinds import FAULT_KINDS
from sim.errors import HarnessError

PLAN_TIME_S_MAX = 10.0 * 365 * 24 * 3600  # a decade of simulated time: anything past it is a typo


class FaultPlanError(HarnessError, ValueError):
    """A plan could not be read or is invalid. `fields` names each offending field (dotted path)."""

    def __init__(self, message: str, fields: list[str]) -> None:
        super().__init__(message)
        self.fields = fields


def _finite(value: float, what: str) -> float:
    if not math.isfinite(value):
        raise ValueError(f"{what} must be a finite number, got {value}")
    return value


class FaultSpec(BaseModel):
    """One enabled fault kind: its probability per decision, an optional window, narrowed params."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    probability: float = Field(ge=0.0, le=1.0)
    window_s: tuple[float, float] | None = None
    params: dict[str, tuple[float, float]] = Field(default_factory=dict)

    @field_validator("window_s")
    @classmethod
    def _window_is_ordered(cls, window: tuple[float, float] | None) -> tuple[float, float] | None:
        if window is None:
            return None
        start_s, end_s = (_finite(v, "window_s bound") for v in window)
        if not 0.0 <= start_s <= end_s:
            raise ValueError(f"window_s must be [start_s, end_s] with 0 <= start_s <= end_s, got {window}")
        return (start_s, end_s)

    @field_validator("params")
    @classmethod
    def _params_are_ordered(cls, params: dict[str, tuple[float, float]]) -> dict[str, tuple[float, float]]:
        for name, (lo, hi) in params.items():
            _finite(lo, f"params.{name}")
            _finite(hi, f"params.{name}")
            if lo > hi:
                raise ValueError(f"params.{name} must be [lo, hi] with lo <= hi, got [{lo}, {hi}]")
        return params


class CrashSpec(BaseModel):
    """A scripted crash: `node` crashes at `at_s` and restarts `restart_after_s` later."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    node: str = Field(min_length=1)
    at_s: float = Field(ge=0.0, le=PLAN_TIME_S_MAX)
    restart_after_s: float = Field(default=1.0, ge=0.0, le=PLAN_TIME_S_MAX)


class ClockSpec(BaseModel):
    """A scripted clock fault: at `at_s`, `node`'s clock skews to rate `value` or jumps by `value` s."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    node: str = Field(min_length=1)
    at_s: float = Field(ge=0.0, le=PLAN_TIME_S_MAX)
    kind: Literal["skew", "jump"]
    value: float

    @model_validator(mode="after")
    def _value_fits_kind(self) -> ClockSpec:
        _finite(self.value, "value")
        if self.kind == "skew" and self.value <= 0.0:
            raise ValueError(f"value of a skew is a clock rate and must be > 0, got {self.value}")
        return self


class FaultPlan(BaseModel):
    """Everything that may go wrong in one run. Empty plan = a fault-free run."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kinds: dict[str, FaultSpec] = Field(default_factory=dict)
    crashes: list[CrashSpec] = Field(default_factory=list)
    clock: list[ClockSpec] = Field(default_factory=list)
    tick_s: float = Field(default=0.5, gt=0.0, le=3600.0)

    @field_validator("kinds")
    @classmethod
    def _kinds_are_known_and_params_fit(cls, kinds: dict[str, FaultSpec]) -> dict[str, FaultSpec]:
        for name in sorted(kinds):
            info = FAULT_KINDS.get(name)
            if info is None:
                raise ValueError(
                    f"unknown fault kind {name!r}; known kinds: {', '.join(sorted(FAULT_KINDS))}"
                )
            for param in sorted(kinds[name].params):
                bounds = info.params.get(param)
                if bounds is None:
                    known = ", ".join(sorted(info.params)) or "none"
                    raise ValueError(f"{name}: unknown parameter {param!r}; its parameters: {known}")
                lo, hi = kinds[name].params[param]
                limit_lo, limit_hi = bounds.limit
                if lo < limit_lo or hi > limit_hi:
                    raise ValueError(
                        f"{name}: params.{param} [{lo}, {hi}] leaves the allowed range "
                        f"[{limit_lo}, {limit_hi}]"
                    )
                if bounds.integer and math.ceil(lo) > math.floor(hi):
                    raise ValueError(f"{name}: params.{param} [{lo}, {hi}] holds no integer; it is a whole number")
        # Sorted keys: the saved plan and its hash do not depend on the order it was written in.
        return {name: kinds[name] for name in sorted(kinds)}

    # ---- views -----------------------------------------------------------------------------

    def enabled(self, kind: str) -> bool:
        return kind in self.kinds

    def describe(self) -> str:
        """A short human summary, one line per enabled kind, for logs and failure reports."""
        lines = [f"fault plan: {len(self.kinds)} kinds, {len(self.crashes)} crashes, "
                 f"{len(self.clock)} clock faults, tick_s={self.tick_s}"]
        for name, spec in self.kinds.items():
            window = "" if spec.window_s is None else f" window_s={list(spec.window_s)}"
            lines.append(f"  {name}: p={spec.probability:.4g}{window}")
        for crash in self.crashes:
            lines.append(f"  crash {crash.node} at {crash.at_s}s, restart after {crash.restart_after_s}s")
        for clock in self.clock:
            lines.append(f"  clock {clock.kind} {clock.node} at {clock.at_s}s: {clock.value}")
        return "\n".join(lines)

    # ---- serialisation ---------------------------------------------------------------------

    def to_json(self) -> str:
        return json.dumps(self.model_dump(mode="json"), indent=2, sort_keys=True) + "\n"

    def to_toml(self) -> str:
        # TOML has no null: an absent window_s means "no window".
        return tomli_w.dumps(self.model_dump(mode="json", exclude_none=True))

    @classmethod
    def from_data(cls, data: Any, *, source: str = "plan") -> FaultPlan:
        try:
            return cls.model_validate(data)
        except ValidationError as error:
            raise _plan_error(error, source) from None

    @classmethod
    def from_json(cls, text: str, *, source: str = "plan") -> FaultPlan:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            raise FaultPlanError(
                f"{source}: not valid JSON ({error}); fix the syntax at line {error.lineno}", []
            ) from None
        return cls.from_data(data, source=source)

    @classmethod
    def from_toml(cls, text: str, *, source: str = "plan") -> FaultPlan:
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as error:
            raise FaultPlanError(f"{source}: not valid TOML ({error}); fix the syntax", []) from None
        return cls.from_data(data, source=source)

    @classmethod
    def load(cls, path: str | Path) -> FaultPlan:
        path = Path(path)
        text = path.read_text(encoding="utf-8")
        suffix = path.suffix.lower()
        if suffix == ".json":
            return cls.from_json(text, source=str(path))
        if suffix == ".toml":
            return cls.from_toml(text, source=str(path))
        raise FaultPlanError(f"{path}: unknown plan format {suffix!r}; name the file *.json or *.toml", [])

    def save(self, path: str | Path) -> None:
        path = Path(path)
        suffix = path.suffix.lower()
        if suffix == ".json":
            path.write_text(self.to_json(), encoding="utf-8")
        elif suffix == ".toml":
            path.write_text(self.to_toml(), encoding="utf-8")
        else:
            raise FaultPlanError(f"{path}: unknown plan format {suffix!r}; name the file *.json or *.toml", [])


def _field_path(loc: tuple[int | str, ...]) -> str:
    """('kinds', 'disk.enospc', 'probability') -> kinds["disk.enospc"].probability"""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif "." in part or not part.isidentifier():
            out += f"[{json.dumps(part)}]"
        else:
            out += f".{part}" if out else part
    return out or "(plan)"


def _plan_error(error: ValidationError, source: str) -> FaultPlanError:
    fields = []
    lines = []
    for item in error.errors(include_url=False):
        # Drop pydantic's internal markers (e.g. 'function-after') from the location.
        loc = tuple(p for p in item["loc"] if not (isinstance(p, str) and "[" in p))
        field = _field_path(loc)
        fields.append(field)
        lines.append(f"  {field}: {item['msg']}")
    return FaultPlanError(f"{source}: invalid fault plan:\n" + "\n".join(lines), fields)
