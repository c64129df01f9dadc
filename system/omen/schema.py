"""The signal schema: what OMEN writes to its ledger and pushes to RiskCast.

Identity is derived, never drawn: `trace_id` and `signal_id` are pure functions of
(event_id, input_event_hash, ruleset_version), so a re-emitted signal keeps its id and
RiskCast can deduplicate it. Every timestamp is timezone-aware UTC (audit M1): a naive
datetime is refused at the boundary instead of being guessed at.
"""
from __future__ import annotations

import functools
import hashlib
import json
import math
from collections.abc import Mapping
from operator import itemgetter
from datetime import date, datetime, timedelta, timezone
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator
from pydantic_core import PydanticSerializationError, SchemaValidator, TzInfo, core_schema
from pydantic_core import to_json as _to_json

SCHEMA_VERSION = 1

LATE_SUFFIX = "-late"

# A signal's identity is derived at creation and checked again at every validation from bytes
# (ingest, each ledger read): the derivation is memoized for the signals a process saw last.
IDENTITY_MEMO_MAX = 16_384
# The JSON of the events serialized last and not yet asked for again, by object identity: the writer
# frames it, the emitter's push takes the same bytes. Entries hold the event itself, so an id is never
# reused while memoized. The bound covers a group commit's batch (every write of a batch precedes its
# pushes) several times over.
EVENT_JSON_MEMO_MAX = 1024
# The partition names of the dates seen last (see partition_for).
PARTITION_NAMES_MAX = 64

def _require_utc(value: datetime) -> datetime:
    tz = value.tzinfo
    if tz is _UTC:
        return value  # already what the conversion below would return
    if tz is _JSON_UTC and type(value) is datetime and not value.fold:
        # every "Z" (or "+00:00") timestamp read from JSON, three per ingest: its UTC value is the
        # same fields in timezone.utc, which `combine` builds for half of `astimezone`'s cost (the
        # offset asked of pydantic-core's zone, a subtraction, `fromutc`); fold 1 and subclasses
        # take the conversion below, which a property test holds this to. The value itself is
        # combine's date (a datetime is a date: only its date fields are read), so no date
        # object is built and dropped a timestamp
        return _combine(value, value.time(), _UTC)
    # a fixed-offset zone (pydantic-core's own, what every timestamp read from JSON carries, or
    # the stdlib's) always has an offset: asked only of other zones
    if type(tz) not in _FIXED_OFFSET_ZONES and (tz is None or tz.utcoffset(value) is None):
        raise ValueError(
            "naive datetime refused: timestamps must be timezone-aware UTC "
            "(use datetime.now(timezone.utc) or append '+00:00' / 'Z')"
        )
    try:
        return value.astimezone(_UTC)
    except OverflowError:  # e.g. 0001-01-01T00:30+01:00: its UTC instant is before year 1
        raise ValueError(f"timestamp {value.isoformat()} is out of range once converted to UTC") from None

_UTC = timezone.utc
# Exact types (neither can be subclassed into a zone without an offset: `timezone` cannot be
# subclassed at all, and a TzInfo subclass is not this type).
_FIXED_OFFSET_ZONES = frozenset({TzInfo, timezone})
# pydantic-core's zone of a UTC timestamp read from text: one shared object, whatever the spelling
# ("Z", "+00:00", "-00:00"); were it a new object per value, the identity check above would fail
# and each value would take the conversion.
_JSON_UTC = SchemaValidator(core_schema.datetime_schema()).validate_json(b'"2000-01-01T00:00:00Z"').tzinfo
assert type(_JSON_UTC) is TzInfo and _JSON_UTC.utcoffset(None) == timedelta(0), _JSON_UTC
_combine = datetime.combine
assert TzInfo(3600).utcoffset(None) == timedelta(hours=1) and TzInfo(0).utcoffset(datetime(1, 1, 1)) == timedelta(0)

UtcDatetime = Annotated[datetime, AfterValidator(_require_utc)]

# One encoder for every signal: json.dumps with non-default options builds a new one per call.
_canonical_encode = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode
# The values whose JSON pydantic-core writes exactly as the stdlib encoder does (see canonical_json).
_FLAT_JSON_TYPES = frozenset({str, int, bool, type(None)})
# The longest input hashed by CPython's builtin SHA-256 rather than OpenSSL's (see _sha256_hex): two
# 64-byte blocks less the padding's 9 bytes. The builtin module is `_sha256` up to CPython 3.11 and
# `_sha2` after; where neither exists, OpenSSL's hashes everything.
SHA256_BUILTIN_BYTES_MAX = 2 * 64 - 9
try:
    from _sha256 import sha256 as _builtin_sha256
except ImportError:  # pragma: no cover - CPython 3.12 and later
    try:
        from _sha2 import sha256 as _builtin_sha256
    except ImportError:
        _builtin_sha256 = hashlib.sha256
assert _builtin_sha256(b"abc").hexdigest() == hashlib.sha256(b"abc").hexdigest()
# SQLite's INTEGER is a signed 64-bit value: a larger sequence could be neither stored nor compared.
LEDGER_SEQUENCE_MAX = 2**63 - 1
PAYLOAD_NODES_MAX = 1_000_000  # bounds the walk below; a 1 MiB body holds far fewer values

# Values that are finite by their type: a payload holding only these needs no walk (the usual one).
_FINITE_SCALAR_TYPES = frozenset({int, str, bool, type(None)})

def _require_finite(payload: dict[str, Any]) -> dict[str, Any]:
    """NaN and Infinity have no JSON form: serialised they would become null, a silent change.

    Runs at every validation and every ledger append, so a flat payload of ints, strings, bools
    and nulls (exact types: a float or any subclass takes the walk) is answered without the walk.
    """
    if type(payload) is dict:
        for value in payload.values():
            if type(value) not in _FINITE_SCALAR_TYPES:
                break
        else:
            return payload
    pending: list[Any] = [payload]
    for _ in range(PAYLOAD_NODES_MAX):
        if not pending:
            return payload
        value = pending.pop()
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError(f"payload holds {value!r}: NaN and Infinity are refused (JSON cannot carry them)")
        if isinstance(value, dict):
            pending.extend(value.values())
        elif isinstance(value, (list, tuple)):
            pending.extend(value)
    raise ValueError(f"payload holds more than {PAYLOAD_NODES_MAX} values")

def canonical_json(value: Any) -> bytes:
    """Stable bytes for hashing: sorted keys, no whitespace, UTF-8 (the stdlib encoder's bytes).

    Runs once per signal created (its input event's hash). A flat dict of str keys and str, int,
    bool or None values (exact types), the usual input event, is encoded by pydantic-core in its
    sorted order: for these types its compact UTF-8 JSON is byte for byte the stdlib's (the same
    escapes, lowercase `\\u00XX` for other control characters, non-ASCII kept, ints in full; a
    property test holds the two equal). Anything else, and any string it refuses (a lone
    surrogate), goes to the stdlib encoder, so the bytes and the errors are the ones it gives.
    """
    if type(value) is dict:
        for key, item in value.items():
            if type(key) is not str or type(item) not in _FLAT_JSON_TYPES:
                break
        else:
            try:
                return _to_json(dict(sorted(value.items())))
            except PydanticSerializationError:
                pass  # the stdlib encoder raises its own error for it
    return _canonical_encode(value).encode()

def _sha256_hex(data: bytes) -> str:
    """`hashlib.sha256(data).hexdigest()`: the same digest, from CPython's own SHA-256 when `data`
    fits two blocks.

    WHY: each signal hashes three short inputs (its input event's JSON, about 45 bytes, and the two
    id derivations, about 100 and 40), and OpenSSL's context set-up and finalization cost more than
    the compression itself there: the builtin module is about 1.5 k instructions cheaper a one-block
    digest and 0.5 k a two-block one, and dearer from about three blocks on (300 bytes), which keep
    OpenSSL's."""
    if len(data) <= SHA256_BUILTIN_BYTES_MAX:
        return _builtin_sha256(data).hexdigest()
    return hashlib.sha256(data).hexdigest()

def generate_input_event_hash(input_event: Mapping[str, Any]) -> str:
    """SHA-256 (hex) of the canonical JSON of the input event the signal was derived from."""
    # a dict is encoded as it is (the copy would be the same dict's bytes); other mappings, copied
    return _sha256_hex(canonical_json(input_event if type(input_event) is dict else dict(input_event)))

def derive_trace_id(event_id: str, input_event_hash: str, ruleset_version: str) -> str:
    material = f"trace\x1f{event_id}\x1f{input_event_hash}\x1f{ruleset_version}".encode()
    return _sha256_hex(material)[:32]

def _signal_id_of_trace(trace_id: str) -> str:
    return "OMEN-" + _sha256_hex(f"signal\x1f{trace_id}".encode())[:24].upper()

def derive_signal_id(event_id: str, input_event_hash: str, ruleset_version: str) -> str:
    return _signal_id_of_trace(derive_trace_id(event_id, input_event_hash, ruleset_version))

@functools.lru_cache(maxsize=IDENTITY_MEMO_MAX)
def derived_identity(event_id: str, input_event_hash: str, ruleset_version: str) -> tuple[str, str]:
    """(trace_id, signal_id) of a signal's inputs: one derivation, shared by both ids (memoized)."""
    trace_id = derive_trace_id(event_id, input_event_hash, ruleset_version)
    return trace_id, _signal_id_of_trace(trace_id)

def partition_for(emitted_at: datetime) -> str:
    """The main partition of a signal: the UTC date of `emitted_at`, ISO formatted.

    Asked twice per signal (the writer places it, the ingest checks the placement), and a day's
    signals share their date, so the formatted name is memoized per date (formatting one costs
    several times the lookup)."""
    if emitted_at.tzinfo is not _UTC:  # every validated timestamp is: no conversion then
        assert emitted_at.tzinfo is not None, "partition_for needs an aware datetime"
        emitted_at = emitted_at.astimezone(timezone.utc)
    day = emitted_at.date()
    name = _partition_names.get(day)
    if name is None:
        if len(_partition_names) >= PARTITION_NAMES_MAX:
            _partition_names.clear()  # a run spans a few days: refilling is rare and cheap
        name = _partition_names[day] = day.isoformat()
    return name

def late_partition(partition: str) -> str:
    assert not partition.endswith(LATE_SUFFIX), partition
    return partition + LATE_SUFFIX

def is_late_partition(partition: str) -> bool:
    return partition.endswith(LATE_SUFFIX)

def main_partition_of(partition: str) -> str:
    return partition[: -len(LATE_SUFFIX)] if is_late_partition(partition) else partition

class SignalEvent(BaseModel):
    """One signal as OMEN emits it. Immutable; ledger metadata is added by a copy."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    schema_version: int = Field(default=SCHEMA_VERSION, ge=1, le=SCHEMA_VERSION)
    event_id: str = Field(min_length=1, max_length=256)
    input_event_hash: str = Field(pattern=r"^[0-9a-f]{64}$")
    ruleset_version: str = Field(min_length=1, max_length=64)
    signal_id: str = Field(min_length=1, max_length=64)
    trace_id: str = Field(min_length=1, max_length=64)
    category: str = Field(min_length=1, max_length=64)
    payload: Annotated[dict[str, Any], AfterValidator(_require_finite)] = Field(default_factory=dict)
    observed_at: UtcDatetime
    emitted_at: UtcDatetime
    ledger_partition: str | None = None
    ledger_sequence: int | None = Field(default=None, ge=1, le=LEDGER_SEQUENCE_MAX)
    ledger_written_at: UtcDatetime | None = None

    @model_validator(mode="after")
    def _identity_is_derived(self) -> "SignalEvent":
        fields = self.__dict__
        expected_trace, expected_signal = derived_identity(*_IDENTITY_INPUTS(fields))
        if fields["trace_id"] != expected_trace:
            raise ValueError(f"trace_id {self.trace_id!r} is not derived from its inputs")
        if fields["signal_id"] != expected_signal:
            raise ValueError(f"signal_id {self.signal_id!r} is not derived from its inputs")
        return self

    @classmethod
    def create(
        cls,
        *,
        event_id: str,
        input_event: Mapping[str, Any],
        ruleset_version: str,
        category: str,
        observed_at: datetime,
        emitted_at: datetime,
        payload: Mapping[str, Any] | None = None,
    ) -> "SignalEvent":
        """Build a signal from its input event; ids are derived, not chosen.

        Validated as `cls(...)` validates it, by the model's own validator called straight (the
        keyword-taking `__init__` wrapper costs a fifth of the validation): the same instance, the
        same errors (a test holds both equal)."""
        input_event_hash = generate_input_event_hash(input_event)
        trace_id, signal_id = derived_identity(event_id, input_event_hash, ruleset_version)
        # the event's validator, looked up once (a model class's attribute goes through pydantic's
        # metaclass `__getattr__` hook, about 1 k instructions); a subclass asks for its own
        validate = _validate_event if cls is SignalEvent else cls.__pydantic_validator__.validate_python
        return validate({
            "event_id": event_id,
            "input_event_hash": input_event_hash,
            "ruleset_version": ruleset_version,
            "signal_id": signal_id,
            "trace_id": trace_id,
            "category": category,
            # the validator builds the event's own dict from a dict (the caller's is never the
            # event's: a test holds it), so only another mapping, or None, is copied first
            "payload": payload if type(payload) is dict else dict(payload or {}),
            "observed_at": observed_at,
            "emitted_at": emitted_at,
        })

    @property
    def main_partition(self) -> str:
        return partition_for(self.emitted_at)

    def json_bytes(self) -> bytes:
        """`model_dump_json()` as UTF-8 bytes; the serialization a first call made is handed to the next.

        The event is frozen, so its JSON cannot change: the writer frames these bytes and the
        emitter pushes the same ones. A copy (`model_copy`) is a new object, serialized afresh.

        WHY the entry leaves the memo at its first hit: a held entry keeps its event alive, and
        every event the memo held outlived young garbage collections and was traversed by each one
        (a thousand entries: every signal's event, its field dict, fields-set and payload, and
        the entry tuples: about 8 k instructions a signal, driven directly). The writer's serialization has one
        reader, the push right after the write; the bytes also stay in the reverse memo for
        ingest (`json_bytes_validated_from`), which takes them out the same way. A third call
        serializes again (the same bytes: the event is frozen).
        """
        vouched = _vouched_json
        if vouched[0] is self:
            return vouched[1]
        found = _event_json_memo.pop(id(self), None)
        if found is not None:
            assert found[0] is self, "an entry holds its event, so its id is no other live object's"
            return found[1]
        data = self.__pydantic_serializer__.to_json(self)  # dump_json_bytes(), inlined: once per signal
        if len(_event_json_memo) >= EVENT_JSON_MEMO_MAX:
            del _event_json_memo[next(iter(_event_json_memo))]  # the oldest entry: its push never came
        if len(_json_event_memo) >= EVENT_JSON_MEMO_MAX:
            del _json_event_memo[next(iter(_json_event_memo))]  # the oldest entry: its ingest never came
        _event_json_memo[id(self)] = (self, data)
        _json_event_memo[id(data)] = (data, self)
        assert len(_event_json_memo) <= EVENT_JSON_MEMO_MAX and len(_json_event_memo) <= EVENT_JSON_MEMO_MAX
        return data

    def remember_json_of_source(self, source: bytes) -> None:
        """Memoize `source` as this event's `json_bytes()` when it is that JSON already.

        For an event the model's validator made from `source` (ingest's body): when
        `json_bytes_validated_from(source)` would be `source` itself, the store's `json_bytes()`
        then gives those bytes without serializing the event again; otherwise nothing is memoized
        and `json_bytes()` serializes as ever, once (the check serializes nothing: a body from
        elsewhere, a replay or a retried push, is serialized by the store alone). (The store is
        handed the event alone: its signature is the one the planted bugs replace.)"""
        global _vouched_json
        if _is_json_of(self, source):
            # one slot, the last event vouched for: the store reads it before its first await
            _vouched_json = (self, source)

    def json_bytes_validated_from(self, source: bytes) -> bytes:
        """`dump_json_bytes()` of this event, which the model's validator made from `source`.

        WHY: RiskCast validates each pushed body and stores the event's JSON; when the body is the
        very bytes object `json_bytes()` made for a live event (the in-process push and the
        simulation hand the emitter's bytes over as they are), serializing the validated copy again
        would give those bytes back. That holds when validating them changed nothing the serializer
        writes, which `_is_json_of` checks. Anything else, any body that came from elsewhere or was
        copied, is serialized by the model's serializer. A property test holds the answer to
        `dump_json_bytes()` over events made with and without validation.
        """
        return source if _is_json_of(self, source) else self.__pydantic_serializer__.to_json(self)

    def dump_json_bytes(self) -> bytes:
        """`model_dump_json().encode()`, straight from pydantic-core's serializer (not memoized).

        WHY: `model_dump_json` is a Python wrapper that passes every option by keyword and decodes
        the serializer's UTF-8 bytes to a str, which callers then encode again; this runs once or
        twice per signal. Same bytes: the options are the serializer's defaults (a test holds the
        two equal)."""
        return self.__pydantic_serializer__.to_json(self)

    def with_ledger_metadata(self, *, partition: str, sequence: int, written_at: datetime) -> "SignalEvent":
        """This event placed in the ledger: `model_copy(update=...)` of the three ledger fields.

        Built the way pydantic's own shallow copy builds it (a new instance, a copy of the field
        dict with the update applied, the fields-set grown by the updated names, no extra and no
        private state: the model forbids extra and has no private attributes), without the generic
        copy's per-call work; it runs once per signal written. A test holds it equal to
        `model_copy` (fields, fields-set, JSON). Like `model_copy`, the update is not validated:
        the writer passes its own partition name and sequence, and `written_at` is made UTC here.
        """
        assert sequence >= 1, sequence
        fields = self.__dict__.copy()
        fields["ledger_partition"] = partition
        fields["ledger_sequence"] = sequence
        fields["ledger_written_at"] = written_at if written_at.tzinfo is _UTC else _require_utc(written_at)
        cls = type(self)
        placed = _new_object(cls) if cls is SignalEvent else cls.__new__(cls)
        _set_dict(placed, fields)
        _set_extra(placed, None)
        _set_fields_set(placed, self.__pydantic_fields_set__ | _LEDGER_FIELDS)
        _set_private(placed, None)
        return placed

class LedgerRecord(BaseModel):
    """The payload of one ledger frame: a signal with its ledger metadata set."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    schema_version: int = Field(default=SCHEMA_VERSION, ge=1, le=SCHEMA_VERSION)
    event: SignalEvent

    @model_validator(mode="after")
    def _event_is_placed(self) -> "LedgerRecord":
        if self.event.ledger_partition is None or self.event.ledger_sequence is None:
            raise ValueError("a ledger record's event must carry ledger_partition and ledger_sequence")
        if self.event.ledger_written_at is None:
            raise ValueError("a ledger record's event must carry ledger_written_at")
        return self

    @property
    def partition(self) -> str:
        assert self.event.ledger_partition is not None
        return self.event.ledger_partition

    @property
    def sequence(self) -> int:
        assert self.event.ledger_sequence is not None
        return self.event.ledger_sequence

    def to_payload(self) -> bytes:
        _require_finite(self.event.payload)  # an event built unvalidated must not turn NaN into null
        return self.model_dump_json().encode()

    @classmethod
    def payload_of(cls, event: SignalEvent) -> bytes:
        """The bytes of `LedgerRecord(event=event).to_payload()`, built around `event.json_bytes()`.

        The writer's path: the event was validated when it was made and is frozen, so it is not
        validated again here, only checked for its placement; its JSON is the one the emitter
        pushes. Same bytes as the model's own serialization (a test holds the two equal).
        """
        # the four fields in one C call on the field dict: each attribute of a model instance goes
        # through pydantic's `__getattr__` hook (every field has a default, so each key is there)
        partition, sequence, written_at, payload = _PLACEMENT_AND_PAYLOAD(event.__dict__)
        if partition is None or sequence is None or written_at is None:
            raise ValueError("a ledger record's event must carry ledger_partition, ledger_sequence and ledger_written_at")
        _require_finite(payload)  # an event built unvalidated must not turn NaN into null
        return _RECORD_PREFIX + event.json_bytes() + b"}"

    @classmethod
    def from_payload(cls, payload: bytes) -> "LedgerRecord":
        return cls.model_validate_json(payload)

def _is_json_of(event: SignalEvent, source: bytes) -> bool:
    """Is `source` the JSON `json_bytes()` made for a live event whose fields `event` (validated
    from `source`) has, so that serializing `event` would give `source` back? Takes the entry out
    of the reverse memo (one ingest per push: see json_bytes).

    Equal fields, and of the ones validation could rewrite (a str or a payload read back from its
    own JSON is what it was; an unequal payload, an int key read back as a str colliding with a str
    key, fails the equality): the ints exactly ints (a float is written "2.0", read back 2), the
    timestamps exactly datetimes in timezone.utc (another zone is written with its offset, read
    back in UTC). The types are asked after the equality, so every field is there.
    """
    found = _json_event_memo.pop(id(source), None)
    if found is None or found[0] is not source:
        return False
    earlier = found[1].__dict__
    if earlier != event.__dict__:
        return False
    observed_at, emitted_at, written_at = _timestamps_of(earlier)
    return (
        type(earlier["schema_version"]) is int
        and type(earlier["ledger_sequence"]) is int
        and type(observed_at) is datetime and observed_at.tzinfo is _UTC
        and type(emitted_at) is datetime and emitted_at.tzinfo is _UTC
        and type(written_at) is datetime and written_at.tzinfo is _UTC
    )


# Both memos are ordered by insertion, for eviction of the oldest entry when full; an entry leaves
# at its first hit (see json_bytes), so in a steady stream they hold the signals in flight. Plain
# dicts, not OrderedDicts: they keep insertion order too, at a lower cost per insertion and pop
# (two of each a signal: about 2 k instructions less). The oldest entry is the first one iteration
# finds; the holes popped entries leave before it are bounded by the dict's size and go at its next
# resize.
_event_json_memo: dict[int, tuple[SignalEvent, bytes]] = {}


# The last event remember_json_of_source vouched for, with its JSON (a later one replaces it).
_vouched_json: tuple[SignalEvent | None, bytes] = (None, b"")
# The same entries by the identity of their bytes (each memo is emptied by its own reader): see
# json_bytes_validated_from.
_json_event_memo: dict[int, tuple[bytes, SignalEvent]] = {}
_partition_names: dict[date, str] = {}
_LEDGER_FIELDS = frozenset({"ledger_partition", "ledger_sequence", "ledger_written_at"})
# The timestamps _is_json_of checks the zone of.
_timestamps_of = itemgetter("observed_at", "emitted_at", "ledger_written_at")
_PLACEMENT_AND_PAYLOAD = itemgetter("ledger_partition", "ledger_sequence", "ledger_written_at", "payload")  # payload_of's
_IDENTITY_INPUTS = itemgetter("event_id", "input_event_hash", "ruleset_version")  # derived_identity's order
# The model is frozen (its own __setattr__ refuses), so a placed copy's four attributes are set by
# BaseModel's own descriptors: `object.__setattr__` on a model checks the type's setattr chain and
# looks the name up first, about 800 instructions of each of its four calls (3.2 k a placement).
_set_dict = BaseModel.__dict__["__dict__"].__set__
_set_extra = BaseModel.__dict__["__pydantic_extra__"].__set__
_set_fields_set = BaseModel.__dict__["__pydantic_fields_set__"].__set__
_set_private = BaseModel.__dict__["__pydantic_private__"].__set__
_new_object = object.__new__  # what `SignalEvent.__new__` is: neither BaseModel nor the event defines one
assert SignalEvent.__new__ is object.__new__, "with_ledger_metadata builds the instance as object.__new__"
assert all(name not in SignalEvent.__dict__ for name in ("__dict__", "__pydantic_extra__", "__pydantic_fields_set__",
                                                      "__pydantic_private__")), "the descriptors are BaseModel's"
assert _LEDGER_FIELDS <= set(SignalEvent.model_fields), "the ledger fields are fields of the event"
assert not SignalEvent.__private_attributes__, "with_ledger_metadata copies no private state"
_RECORD_PREFIX = b'{"schema_version":%d,"event":' % SCHEMA_VERSION
# The model's validator, complete when the class is built (no forward reference left to rebuild it):
# `SignalEvent.model_validate(...)` and `create` call the same object.
_validate_event = SignalEvent.__pydantic_validator__.validate_python
assert SignalEvent.__pydantic_complete__, "the event's validator is final"

__all__ = [
    "SCHEMA_VERSION",
    "LATE_SUFFIX",
    "LEDGER_SEQUENCE_MAX",
    "LedgerRecord",
    "SignalEvent",
    "UtcDatetime",
    "canonical_json",
    "derive_signal_id",
    "derive_trace_id",
    "derived_identity",
    "generate_input_event_hash",
    "is_late_partition",
    "late_partition",
    "main_partition_of",
    "partition_for",
]

