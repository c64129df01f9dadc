"""The ingest handler: bytes in, (status, JSON dict) out. Framework-free on purpose.

WHY framework-free: the simulation delivers requests to this exact code without HTTP, and the
FastAPI app is only a thin wrapper, so both paths share every decision (413, 422, 200, 409).
Ordering is structural: the 200 is built only after `store.store(...)` returned, and that call
commits before it returns (persist-before-ack).
"""
from __future__ import annotations

import json
from typing import Any

from pydantic import ValidationError

from omen import SignalEvent, partition_for
from riskcast.signal_store import DuplicateSignalError, SignalStore

BODY_MAX_BYTES_DEFAULT = 1_048_576
LATE_SUFFIX = "-late"  # the ledger's late-partition naming (omen.schema.LATE_SUFFIX)
# The model's method, called on the event the validator built (always a SignalEvent itself): an
# attribute looked up on a model instance goes through pydantic's `__getattr__` hook.
_remember_json_of_source = SignalEvent.remember_json_of_source
# The model's validator, looked up once: a model class's attribute goes through pydantic's metaclass
# `__getattr__` hook (about 1 k instructions). The class is complete when built, so it stays this one.
validate_event_json = SignalEvent.__pydantic_validator__.validate_json


def _validation_errors(error: ValidationError) -> list[dict[str, Any]]:
    # pydantic renders ctx JSON-safe; the input is left out (it may be huge or not UTF-8).
    return json.loads(error.json(include_url=False, include_input=False))


def _placement_errors(event: SignalEvent) -> list[dict[str, Any]]:
    """Ingest needs the ledger placement: reconcile and the checkers key on it."""
    partition = event.ledger_partition
    if partition is not None and event.ledger_sequence is not None:
        main = event.main_partition
        if partition == main or partition == main + LATE_SUFFIX:
            return []  # placed, in its day's partition or its late twin: every signal the ledger wrote
    errors: list[dict[str, Any]] = []
    for field in ("ledger_partition", "ledger_sequence"):
        if getattr(event, field) is None:
            errors.append(
                {
                    "type": "missing_ledger_metadata",
                    "loc": [field],
                    "msg": f"{field} is required for ingest: write the signal to the OMEN ledger first",
                }
            )
    if event.ledger_partition is not None:
        main = event.main_partition
        late = main + LATE_SUFFIX
        if event.ledger_partition not in (main, late):
            errors.append(
                {
                    "type": "partition_mismatch",
                    "loc": ["ledger_partition"],
                    "msg": (
                        f"ledger_partition {event.ledger_partition!r} is not the UTC date of emitted_at "
                        f"({main!r} or {late!r})"
                    ),
                }
            )
    return errors


class IngestHandler:
    def __init__(self, store: SignalStore, *, body_max_bytes: int = BODY_MAX_BYTES_DEFAULT) -> None:
        assert body_max_bytes >= 1, body_max_bytes
        self._store = store
        self.body_max_bytes = body_max_bytes

    def too_large(self, size_bytes: int) -> tuple[int, dict[str, Any]]:
        """The 413 answer; the HTTP app also uses it before reading an oversized body."""
        return 413, {
            "status": "too_large",
            "errors": [
                {
                    "type": "body_too_large",
                    "msg": f"body of {size_bytes} bytes exceeds the limit of {self.body_max_bytes} bytes",
                }
            ],
            "body_max_bytes": self.body_max_bytes,
        }

    async def handle(self, body: bytes) -> tuple[int, dict[str, Any]]:
        if len(body) > self.body_max_bytes:
            return self.too_large(len(body))
        try:
            # `model_validate_json(body)` without its keyword-passing wrapper: the same event and errors
            event = validate_event_json(body)
        except ValidationError as error:
            return 422, {"status": "invalid", "errors": _validation_errors(error)}
        # placed in its day's partition or its late twin, as every signal the ledger wrote: asked of
        # the validated fields once (each attribute of a model goes through pydantic's `__getattr__`
        # hook), the errors built only when it is not; `main_partition` is `partition_for(emitted_at)`
        fields = event.__dict__
        partition = fields["ledger_partition"]
        if (
            partition is None
            or fields["ledger_sequence"] is None
            or (partition != (main := partition_for(fields["emitted_at"])) and partition != main + LATE_SUFFIX)
        ):
            placement = _placement_errors(event)
            assert placement, "a misplaced event has placement errors"
            return 422, {"status": "invalid", "errors": placement}
        _remember_json_of_source(event, body)  # the row's JSON is then the body itself, when it is that JSON
        try:
            ack_id = await self._store.store(event)
        except DuplicateSignalError as duplicate:
            return 409, {"status": "duplicate", "signal_id": duplicate.signal_id, "ack_id": duplicate.ack_id}
        return 200, {"status": "accepted", "signal_id": fields["signal_id"], "ack_id": ack_id}
