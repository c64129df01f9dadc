"""What one reconcile of one partition found and did. Lists are sorted, so results are deterministic."""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

ReconcileStatus = Literal["skipped", "reconciled", "incomplete", "corrupt", "up_to_date"]


class LostRange(BaseModel):
    """Bytes of a damaged partition that held no intact record, and the sequences that may be lost there
    (inclusive; `sequence_last` None: unknown). Found by the ledger reader's salvage mode."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    segment: str
    start_byte: int = Field(ge=0)
    end_byte: int = Field(ge=0)
    sequence_first: int = Field(ge=1)
    sequence_last: int | None = None
    reason: str


class ReconcileResult(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    partition: str
    status: ReconcileStatus
    reason: str
    ledger_count: int = Field(default=0, ge=0)
    missing_ids: list[str] = Field(default_factory=list)
    replayed_ids: list[str] = Field(default_factory=list)
    failed_ids: list[str] = Field(default_factory=list)
    extra_ids: list[str] = Field(default_factory=list)
    lost: list[LostRange] = Field(default_factory=list)
    highwater: int | None = None
    revision: int | None = None

    @model_validator(mode="after")
    def _lists_are_sorted(self) -> "ReconcileResult":
        for name in ("missing_ids", "replayed_ids", "failed_ids", "extra_ids"):
            values = getattr(self, name)
            assert values == sorted(values), f"{name} must be sorted for deterministic results"
        assert set(self.replayed_ids) <= set(self.missing_ids)
        assert set(self.failed_ids) <= set(self.missing_ids)
        return self

    @property
    def critical(self) -> bool:
        """Signals in RiskCast that the ledger does not hold: an impossible state under ledger-first."""
        return bool(self.extra_ids)
