"""The manifest's segment entries, each sealed one built and serialized once.

WHY: the writer rewrites a partition's manifest at every rollover, and the manifest lists every
segment of the partition. Built afresh each time (one `SegmentEntry` model per segment, then the
whole manifest serialized), a rollover cost O(segments) model work, so a long day's rollovers
grew slower one by one. A sealed segment's entry never changes (its file is read-only, its counts
are final), so its model and its canonical JSON are kept here; a rollover builds the entries of
the segments that are not sealed (normally the one active segment) and the manifest's header
alone, and splices the kept JSON in. The bytes are the ones `Manifest.to_bytes()` gives for the
same manifest (a test holds them equal).
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime as _datetime, timezone
from typing import Protocol

from pydantic import BaseModel
from pydantic_core import to_jsonable_python as _jsonable

from omen.ledger.manifest import Manifest, SegmentEntry
from omen.schema import canonical_json

# How `Manifest.to_bytes()` renders an empty segment list; the key occurs once (sorted keys, and no
# other value of the header is a string that could hold it: a partition name, two timestamps).
SEGMENTS_EMPTY_JSON = b'"segments":[]'
# Strings the canonical encoder writes as they are, between quotes: no escape, no non-ASCII (segment
# and partition names, and the timestamps pydantic renders). Only those take the direct rendering.
_PLAIN_JSON_STRING = re.compile(r"[0-9A-Za-z.:+-]*")


class SegmentState(Protocol):
    """What the writer knows of one segment."""

    name: str
    record_count: int
    size_bytes: int
    sealed: bool


def entry_of(segment: SegmentState) -> SegmentEntry:
    """`SegmentEntry(...)` of the segment, validated by the model's validator called straight (the
    keyword-taking `__init__` wrapper is about 4 k of its 14 k instructions): the same instance and
    errors."""
    return _validate_entry({"name": segment.name, "record_count": segment.record_count,
                            "size_bytes": segment.size_bytes, "sealed": segment.sealed})


# (name, record_count, size_bytes, sealed) -> (`entry_of`'s entry, its `entry_json`): both pure
# functions of those four plain values, and the entry is a frozen model, so one instance serves every
# manifest that lists the same segment. WHY: every writer recovering a partition (a restarted OMEN,
# every crash state of an exhaustive check) builds the entry of each sealed segment again, and the
# same few segments come back state after state. Cleared when full: dropping it costs speed only.
SEGMENT_ENTRY_MEMO_MAX = 4096
_entries_made: dict[tuple[str, int, int, bool], tuple[SegmentEntry, bytes]] = {}


def entry_and_json(segment: SegmentState) -> tuple[SegmentEntry, bytes]:
    """(`entry_of(segment)`, its `entry_json`): the same values, the same errors (a failed
    validation is never kept). Remembered only for values of the plain types (a subclass of int or
    str could compare equal and render otherwise)."""
    name, record_count, size_bytes, sealed = segment.name, segment.record_count, segment.size_bytes, segment.sealed
    if type(name) is str and type(record_count) is int and type(size_bytes) is int and type(sealed) is bool:
        key = (name, record_count, size_bytes, sealed)
        found = _entries_made.get(key)
        if found is None:
            entry = entry_of(segment)
            found = (entry, entry_json(entry))
            if len(_entries_made) >= SEGMENT_ENTRY_MEMO_MAX:
                _entries_made.clear()
            _entries_made[key] = found
        return found
    entry = entry_of(segment)
    return entry, entry_json(entry)


def manifest_header(fields: dict[str, object]) -> Manifest:
    """`Manifest(**fields)`, validated by the model's validator called straight (as `entry_of`; the
    fields come as one dict: packing keywords would cost most of what the wrapper does)."""
    return _validate_manifest(fields)


# (field name, value) pairs -> (`manifest_header(fields)`, its `_header_json`): both pure functions of
# the fields. WHY: every crash state an exhaustive check recovers rolls its segment over with the
# same figures at the same instant (three states in four write a header already built at that
# instant), and validating and rendering a header cost about 8 k instructions each. Only plain
# values are remembered (exact str, int, bool, None, the empty tuple, and datetimes in
# `timezone.utc` with fold 0: equal ones have equal fields, so they validate and render alike);
# anything else is built afresh. A failed validation is never kept. Cleared when full.
MANIFEST_HEADER_MEMO_MAX = 1024
_headers_made: dict[tuple, tuple[Manifest, bytes | None]] = {}
_PLAIN_HEADER_TYPES = frozenset({str, int, bool, type(None)})


def _header_key(fields: dict[str, object]) -> tuple | None:
    for value in fields.values():
        kind = type(value)
        if kind in _PLAIN_HEADER_TYPES or (kind is tuple and not value):
            continue
        if kind is _datetime and value.tzinfo is _UTC and not value.fold:
            continue
        return None
    # the types too: True == 1 and hashes alike, but validates and renders otherwise
    return tuple(fields.items()), tuple(map(type, fields.values()))


def manifest_header_and_json(fields: dict[str, object]) -> tuple[Manifest, bytes | None]:
    """(`manifest_header(fields)`, its `_header_json`): the same values and errors, remembered for
    plain fields (see `_headers_made`). The header is a frozen model, so one instance serves every
    manifest built from the same fields (`with_segments` copies it)."""
    key = _header_key(fields)
    found = _headers_made.get(key) if key is not None else None
    if found is None:
        header = manifest_header(fields)
        found = (header, _header_json(header))
        if key is not None:
            if len(_headers_made) >= MANIFEST_HEADER_MEMO_MAX:
                _headers_made.clear()
            _headers_made[key] = found
    return found


def with_segments(header: Manifest, segments: tuple[SegmentEntry, ...]) -> Manifest:
    """`header.model_copy(update={"segments": segments})`, built the way pydantic's shallow copy builds it.

    A new instance, a copy of the field dict with the segments replaced, the fields-set copied (the
    header was built with its `segments` given, so the name is in it already), no extra and no
    private state (the model forbids extra and has none). WHY: every rollover and seal makes one,
    and the generic copy cost 22.3 k instructions against this one's 8.3 k. Like `model_copy`, the update is not validated: the entries are models already. A test holds it
    equal to `model_copy` (fields, fields-set, bytes)."""
    assert type(header) is Manifest and "segments" in header.__pydantic_fields_set__, "a header built by manifest_header"
    fields = header.__dict__.copy()
    fields["segments"] = segments
    manifest = _new_object(Manifest)
    _set_dict(manifest, fields)
    _set_extra(manifest, None)
    _set_fields_set(manifest, set(header.__pydantic_fields_set__))
    _set_private(manifest, None)
    return manifest


def entry_json(entry: SegmentEntry) -> bytes:
    """The entry's canonical JSON, as it appears inside `Manifest.to_bytes()`.

    Written directly (sorted keys, compact) when every value is one the encoder writes as it is: a
    plain name, exact ints, a bool; anything else goes through `canonical_json`. WHY: a rollover
    renders two entries, and the encoder cost about 30 k instructions each (a test holds the two equal)."""
    name, record_count, size_bytes, sealed = entry.name, entry.record_count, entry.size_bytes, entry.sealed
    if type(record_count) is int and type(size_bytes) is int and type(sealed) is bool and _PLAIN_JSON_STRING.fullmatch(name):
        return (f'{{"name":"{name}","record_count":{record_count},"sealed":{"true" if sealed else "false"},'
                f'"size_bytes":{size_bytes}}}').encode()
    return canonical_json(entry.model_dump(mode="json"))


def _header_json(header: Manifest) -> bytes | None:
    """`header.to_bytes()` written directly, or None when a value is not one the encoder writes as it
    is (then the caller asks `to_bytes`). The timestamps are rendered by pydantic-core's datetime
    serializer, the one the model's JSON dump uses for them."""
    updated_at = _jsonable(header.updated_at)
    sealed_at = None if header.sealed_at is None else _jsonable(header.sealed_at)
    format_version, highwater_sequence, record_count, revision = (
        header.format_version, header.highwater_sequence, header.record_count, header.revision)
    is_late, sealed, partition = header.is_late, header.sealed, header.partition
    if not (
        type(format_version) is int and type(highwater_sequence) is int and type(record_count) is int
        and type(revision) is int and type(is_late) is bool and type(sealed) is bool
        and _PLAIN_JSON_STRING.fullmatch(partition)
        and type(updated_at) is str and _PLAIN_JSON_STRING.fullmatch(updated_at)
        and (sealed_at is None or (type(sealed_at) is str and _PLAIN_JSON_STRING.fullmatch(sealed_at)))
    ):
        return None
    sealed_at_json = "null" if sealed_at is None else f'"{sealed_at}"'
    return (
        f'{{"format_version":{format_version},"highwater_sequence":{highwater_sequence},'
        f'"is_late":{"true" if is_late else "false"},"partition":"{partition}",'
        f'"record_count":{record_count},"revision":{revision},"sealed":{"true" if sealed else "false"},'
        f'"sealed_at":{sealed_at_json},"segments":[],"updated_at":"{updated_at}"}}\n'
    ).encode()


def manifest_bytes(header: Manifest, entries_json: Sequence[bytes], header_json: bytes | None = None) -> bytes:
    """`to_bytes()` of the manifest `header` describes, with the segments whose JSON is given.

    `header` carries no segments: only its own fields are serialized here, the entries' JSON is
    joined in place of its empty list. `header_json`: its `_header_json` if already made."""
    assert not header.segments, "the header's segments come from entries_json"
    data = _header_json(header) if header_json is None else header_json
    if data is None:
        data = header.to_bytes()
    assert data.count(SEGMENTS_EMPTY_JSON) == 1, "the manifest JSON holds one segment list"
    return data.replace(SEGMENTS_EMPTY_JSON, b'"segments":[' + b",".join(entries_json) + b"]", 1)


_validate_entry = SegmentEntry.__pydantic_validator__.validate_python
_validate_manifest = Manifest.__pydantic_validator__.validate_python
# A frozen model's own __setattr__ refuses: a copy's four attributes are set through BaseModel's own
# descriptors, as `SignalEvent.with_ledger_metadata` sets them.
_set_dict = BaseModel.__dict__["__dict__"].__set__
_set_extra = BaseModel.__dict__["__pydantic_extra__"].__set__
_set_fields_set = BaseModel.__dict__["__pydantic_fields_set__"].__set__
_set_private = BaseModel.__dict__["__pydantic_private__"].__set__
_new_object = object.__new__
_UTC = timezone.utc
assert Manifest.__new__ is object.__new__ and not Manifest.__private_attributes__, "with_segments builds it as object.__new__"
assert Manifest.model_config.get("extra") == "forbid", "with_segments sets no extra"


class SealedEntries:
    """The entries of a partition's leading sealed segments, in order, with their JSON and counts.

    Keyed by the writer's own segment objects: the kept prefix is trusted only while it describes
    the same objects as the partition's segment list (checked at its last element, O(1)); a
    recovery replaces the list with new objects, and the prefix is rebuilt from them once.
    """

    def __init__(self) -> None:
        self._segments: list[SegmentState] = []
        self.entries: list[SegmentEntry] = []
        self.entries_json: list[bytes] = []
        self.record_count = 0

    def _reset(self) -> None:
        self._segments, self.entries, self.entries_json, self.record_count = [], [], [], 0

    def extend_over(self, segments: Sequence[SegmentState]) -> int:
        """Keep the entry of every sealed segment of the leading run of `segments`; return how many are kept."""
        kept = len(self._segments)
        if kept > len(segments) or (kept and segments[kept - 1] is not self._segments[-1]):
            self._reset()  # a recovery rebuilt the segment list: start the prefix again
            kept = 0
        for segment in segments[kept:]:
            if not segment.sealed:
                break
            entry, json = entry_and_json(segment)
            self._segments.append(segment)
            self.entries.append(entry)
            self.entries_json.append(json)
            self.record_count += segment.record_count
        kept = len(self._segments)
        assert kept == len(self.entries) == len(self.entries_json) <= len(segments)
        assert not kept or (self._segments[-1] is segments[kept - 1] and segments[kept - 1].sealed)
        return kept


__all__ = ["SEGMENTS_EMPTY_JSON", "SealedEntries", "SegmentState", "entry_and_json", "entry_json", "entry_of", "manifest_bytes",
           "manifest_header", "manifest_header_and_json", "with_segments"]
