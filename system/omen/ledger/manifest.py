"""The partition manifest: what a partition holds, in one small atomically replaced JSON file.

It is a summary for readers (reconcile uses `sealed`, `highwater_sequence`, `revision`), never
the source of truth for the writer's sequence: the writer recovers its sequence from the
segments and only takes the manifest's highwater as a floor, so a number is never reused even
if the last records were rolled back after the manifest was written.
`revision` grows by one on every rewrite, across restarts.
"""
from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from omen.ledger.errors import LedgerCorruptionError
from omen.ledger.fs_ops import read_file
from omen.ledger.layout import MANIFEST_NAME, joined, segment_index
from omen.ledger.record_parse import PAYLOAD_ERRORS
from omen.schema import UtcDatetime, canonical_json

MANIFEST_FORMAT_VERSION = 1


class SegmentEntry(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    record_count: int = Field(ge=0)
    size_bytes: int = Field(ge=0)
    sealed: bool


class Manifest(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    format_version: int = Field(default=MANIFEST_FORMAT_VERSION, ge=1, le=MANIFEST_FORMAT_VERSION)
    partition: str
    is_late: bool
    sealed: bool
    revision: int = Field(ge=1)
    highwater_sequence: int = Field(ge=0)
    record_count: int = Field(ge=0)
    segments: tuple[SegmentEntry, ...]
    updated_at: UtcDatetime
    sealed_at: UtcDatetime | None = None

    def to_bytes(self) -> bytes:
        return canonical_json(self.model_dump(mode="json")) + b"\n"


def read_manifest_bytes(fs: Any, partition_path: str) -> bytes | None:
    """The bytes of the partition's manifest, None when there is none."""
    try:
        return read_file(fs, joined(partition_path, MANIFEST_NAME))
    except FileNotFoundError:
        return None


def load_manifest(fs: Any, partition_path: str, partition: str) -> Manifest | None:
    """The partition's manifest, None when there is none; an unreadable one is corruption."""
    data = read_manifest_bytes(fs, partition_path)
    return None if data is None else parse_manifest(data, partition)


def parse_manifest(data: bytes, partition: str) -> Manifest:
    """The manifest these bytes hold for `partition`, strictly parsed; anything else is corruption.

    The manifest has no checksum, so every failure a hostile file can cause (a timestamp that
    overflows on its way to UTC, a count given as a string, a segment name that is not one) must
    end typed."""
    try:
        manifest = Manifest.model_validate_json(data, strict=True)
    except PAYLOAD_ERRORS as error:
        raise LedgerCorruptionError(partition, MANIFEST_NAME, 0, f"manifest does not parse ({type(error).__name__})") from error
    if manifest.partition != partition:
        raise LedgerCorruptionError(partition, MANIFEST_NAME, 0, f"manifest names partition {manifest.partition!r}")
    names = [entry.name for entry in manifest.segments]
    if names != sorted(set(names)) or not all(segment_index(name) is not None for name in names):
        raise LedgerCorruptionError(partition, MANIFEST_NAME, 0, "manifest segments are not distinct segment names in order")
    if manifest.record_count != sum(entry.record_count for entry in manifest.segments):
        raise LedgerCorruptionError(partition, MANIFEST_NAME, 0, "manifest record_count is not the sum of its segments'")
    return manifest


__all__ = ["MANIFEST_FORMAT_VERSION", "Manifest", "SegmentEntry", "load_manifest", "parse_manifest", "read_manifest_bytes"]
