"""An independent reading of the ledger's bytes, for the checkers.

Checkers never trust the system's report of itself, so they do not read the ledger
through `LedgerReader` (a planted bug may live there). This module parses the frame
format of `docs/ledger-format.md` on its own: `[u32 length][u32 crc32][payload]`,
big-endian, payload JSON. A frame that fails its CRC or its JSON ends the segment's
valid prefix; everything after it is counted as unreadable, never yielded. What salvage can
still find after the damage (the next frames whose CRC and JSON hold, their sequences above the
last one found) is kept apart in `salvaged`: the intact records a salvaging reader must deliver.
"""
from __future__ import annotations

import json
import posixpath
import re
import struct
import sys
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
import functools
from functools import partial
from typing import TypeVar

FRAME_HEADER = struct.Struct(">II")
FRAME_MAX_BYTES = 16 * 1024 * 1024
PATHS_KNOWN_MAX = 65_536  # paths whose split is remembered (a pure function's memo)
T = TypeVar("T")


TIMESTAMP_KEYS = ("emitted_at", "observed_at", "ledger_written_at")


@dataclass(frozen=True)
class OracleRecord:
    partition: str
    segment: str
    offset_bytes: int
    signal_id: str
    sequence: int
    # The event's timestamps as the payload holds them (each of `TIMESTAMP_KEYS` it has, in that
    # order): what the checkers judge of a record beyond its id and sequence (`utc_time`). WHY not
    # the whole event: the run's end parses every record of the ledger, and the decoded events were
    # the largest thing a long run held at its peak (30 objects and 2.3 kB a record).
    timestamps: dict


@dataclass
class OracleSegment:
    name: str
    size_bytes: int
    valid_bytes: int
    records: list[OracleRecord] = field(default_factory=list)
    salvaged: list[OracleRecord] = field(default_factory=list)  # intact frames after the damage

    @property
    def clean(self) -> bool:
        return self.valid_bytes == self.size_bytes


@dataclass
class OraclePartition:
    name: str
    segments: list[OracleSegment] = field(default_factory=list)
    sealed: bool | None = None  # the manifest's `sealed`; None: no manifest, or one that does not parse
    # segment name -> (record_count, size_bytes) the manifest holds it to: every segment of a sealed
    # manifest and each one listed as sealed (docs/ledger-format.md); empty without a readable manifest
    held_segments: dict[str, tuple[int, int]] = field(default_factory=dict)

    def held_mismatches(self) -> list[str]:
        """The segments whose frames are not what the manifest holds them to (count or size), or missing."""
        found = {segment.name: segment for segment in self.segments}
        out: list[str] = []
        for name, (record_count, size_bytes) in sorted(self.held_segments.items()):
            segment = found.get(name)
            if segment is None or (len(segment.records), segment.size_bytes) != (record_count, size_bytes):
                out.append(name)
        return out

    @property
    def records(self) -> list[OracleRecord]:
        return [record for segment in self.segments for record in segment.records]

    @property
    def intact_records(self) -> list[OracleRecord]:
        """Every frame that is still intact, past any damage: the valid prefixes and what salvage finds."""
        return [record for segment in self.segments for record in (*segment.records, *segment.salvaged)]


# `json.loads(text)` of a str is these steps of its default decoder (`JSONDecoder.decode` and
# `raw_decode`): a leading BOM refused, whitespace skipped, one scan, only whitespace after it. Taken
# here without the three Python frames around them: the run's end parses every record of the ledger.
# A BOM needs no test of its own: it is not whitespace, so the scan starts on it and fails.
_SCAN_ONCE = json.JSONDecoder().scan_once  # the scanner of a decoder with json.loads' defaults
_SKIP_WHITESPACE = json.decoder.WHITESPACE.match
_JSON_WHITESPACE = frozenset(" \t\n\r")  # the class of `json.decoder.WHITESPACE`, r"[ \t\n\r]*"
assert json.decoder.WHITESPACE.pattern == r"[ \t\n\r]*", json.decoder.WHITESPACE.pattern
_NEW_RECORD = object.__new__


def _record_at(partition: str, name: str, data: bytes, offset: int) -> OracleRecord | None:
    header_size = FRAME_HEADER.size
    if offset + header_size > len(data):
        return None
    length, crc = FRAME_HEADER.unpack_from(data, offset)
    if length == 0 or length > FRAME_MAX_BYTES or offset + header_size + length > len(data):
        return None
    payload = data[offset + header_size : offset + header_size + length]
    if zlib.crc32(payload) != crc:
        return None
    return _record_of(partition, name, offset, payload)


def _record_of(partition: str, name: str, offset: int, payload: bytes) -> OracleRecord | None:
    """The record a CRC-valid frame at `offset` holds, None when its payload is not a ledger record
    (what `json.loads` would refuse, or no event with an id and a sequence)."""
    try:
        # UTF-8 only, as docs/ledger-format.md says: json.loads(bytes) would also take UTF-16/32 and a BOM,
        # and spent a call per record finding out which (UnicodeDecodeError is a ValueError)
        text = payload.decode("utf-8")
        # the writer's payloads start with "{": the whitespace regex runs only when one does not
        # (`_JSON_WHITESPACE` is the class `WHITESPACE` skips), with the same start either way
        start = _SKIP_WHITESPACE(text, 0).end() if text[:1] in _JSON_WHITESPACE else 0
        try:
            document, end = _SCAN_ONCE(text, start)
        except StopIteration:
            return None  # json.loads: "Expecting value"
        if end != len(text) and _SKIP_WHITESPACE(text, end).end() != len(text):
            return None  # json.loads: "Extra data"
        event = document["event"]
        # the id converted before the sequence, as always (the same error first)
        signal_id, sequence = str(event["signal_id"]), int(event["ledger_sequence"])
    except (ValueError, KeyError, TypeError):
        return None
    try:  # every record the writer wrote has the three: one dict display, no loop
        timestamps = {"emitted_at": event["emitted_at"], "observed_at": event["observed_at"],
                      "ledger_written_at": event["ledger_written_at"]}
    except KeyError:
        timestamps = {key: event[key] for key in TIMESTAMP_KEYS if key in event}
    # the state the frozen dataclass's `__init__` gives, in its fields' order, without its six
    # `object.__setattr__` calls (half the record's cost; `OracleRecord` has no `__post_init__`)
    record = _NEW_RECORD(OracleRecord)
    record.__dict__.update(partition=partition, segment=name, offset_bytes=offset, signal_id=signal_id,
                           sequence=sequence, timestamps=timestamps)
    return record


def parse_segment(partition: str, name: str, data: bytes) -> OracleSegment:
    """The segment's valid prefix, record by record, then what salvage finds after it.

    WHY the frame walk written out here rather than `_record_at` per frame: the run's end parses
    every record of the ledger, and the call per frame, the header unpacked twice and the segment's
    attributes set per record were a fifth of the Python work around each JSON scan. The payload is
    read by `_record_of`, as `_record_at` reads it, so the same records, the same first error and
    the same valid bytes (a spec keeps the per-frame loop over `_record_at`); salvage still asks
    `_record_at` offset by offset."""
    records: list[OracleRecord] = []
    append = records.append
    size = len(data)
    offset = 0
    header_size = FRAME_HEADER.size
    unpack_from = FRAME_HEADER.unpack_from
    crc32 = zlib.crc32
    record_of = _record_of
    for _ in range(size // header_size + 1):  # every frame takes at least a header and a byte
        start = offset + header_size
        if start > size:
            break
        length, crc = unpack_from(data, offset)
        end = start + length
        if length == 0 or length > FRAME_MAX_BYTES or end > size:
            break
        payload = data[start:end]
        if crc32(payload) != crc:
            break
        record = record_of(partition, name, offset, payload)
        if record is None:
            break
        append(record)
        offset = end
    segment = OracleSegment(name=name, size_bytes=size, valid_bytes=offset, records=records)
    if offset < size:
        _salvage(partition, name, data, segment)
    return segment


def _salvage(partition: str, name: str, data: bytes, segment: OracleSegment) -> None:
    """Walk the bytes after the damage offset by offset; keep each intact frame that continues the sequence."""
    last = segment.records[-1].sequence if segment.records else 0
    offset = segment.valid_bytes + 1
    for _ in range(len(data)):
        if offset + FRAME_HEADER.size > len(data):
            return
        record = _record_at(partition, name, data, offset) if data[offset] == 0 else None
        if record is None or record.sequence <= last:
            offset += 1
            continue
        segment.salvaged.append(record)
        last = record.sequence
        offset += FRAME_HEADER.size + FRAME_HEADER.unpack_from(data, offset)[0]


SIGNAL_ID_KEY = b'"signal_id":"'
SEQUENCE_KEY = b'"ledger_sequence":'
_DIGITS = re.compile(rb"[0-9]+")
_SIGNAL_ID_KEY_BYTES = len(SIGNAL_ID_KEY)
_SEQUENCE_KEY_BYTES = len(SEQUENCE_KEY)
# A run of fewer digits always converts: no int-digit limit below this is accepted (0 means none).
_INT_DIGITS_ALWAYS_CONVERTED = sys.int_info.str_digits_check_threshold


def _walk_valid_frames(data: bytes, with_sequences: bool = True) -> tuple[list, int]:
    """((signal_id, sequence) of each frame of the CRC-valid prefix, bytes it covers), without JSON:
    `valid_frame_index` (below) is this function; with `with_sequences` false, the signal ids alone
    (`valid_frame_signal_ids`).

    The cheap path for questions asked often ("is this signal durable?", "what is missing?"): a
    frame counts only if its CRC holds; the two fields are read from the payload as the writer
    encodes them (compact JSON, as `LedgerRecord.to_payload` writes). A frame whose payload does
    not have them ends the prefix, as in `parse_segment`.

    WHY this shape: the durable index asks it at every segment refresh (once per simulated signal,
    one new frame each), so its cost is that of the few C calls per frame. The searches run in the
    payload's own copy (the one the CRC needs): `bytes.find` with `start, end` bounds parses two
    more arguments per call, which costs more than it saves. With only the ids wanted, a sequence
    is "a digit follows the key", read as one byte: the digits' value is not needed, and `int()`
    of a run of ASCII digits cannot fail below `sys.int_info.str_digits_check_threshold` digits
    (the lowest int-digit limit Python accepts), so a payload with room for a longer run after the
    key takes the regex and `int()` as well, and raises where `valid_frame_index` raises.
    """
    found: list = []
    append = found.append
    offset = 0
    size = len(data)
    header_size = FRAME_HEADER.size
    unpack_from = FRAME_HEADER.unpack_from
    crc32 = zlib.crc32
    for _ in range(size // header_size + 1):  # every frame takes at least a header and a byte
        start = offset + header_size
        if start > size:
            break
        length, crc = unpack_from(data, offset)
        end = start + length
        if length == 0 or length > FRAME_MAX_BYTES or end > size:
            break
        payload = data[start:end]
        if crc32(payload) != crc:
            break
        id_start = payload.find(SIGNAL_ID_KEY)
        sequence_start = payload.find(SEQUENCE_KEY)
        if id_start < 0 or sequence_start < 0:
            break
        id_start += _SIGNAL_ID_KEY_BYTES
        digits_start = sequence_start + _SEQUENCE_KEY_BYTES
        if with_sequences or length - digits_start >= _INT_DIGITS_ALWAYS_CONVERTED:
            digits = _DIGITS.match(payload, digits_start)  # one match, not a loop per digit
            if digits is None:
                break
            signal_id = payload[id_start:payload.index(b'"', id_start)].decode()
            sequence = int(digits.group())  # after the id, as always: the same error first
            append((signal_id, sequence) if with_sequences else signal_id)
        else:
            if digits_start >= length or not 48 <= payload[digits_start] <= 57:  # b"0" .. b"9"
                break
            append(payload[id_start:payload.index(b'"', id_start)].decode())
        offset = end
    return found, offset


# The walk itself (its second argument's default), and a partial: no Python frame of their own (the
# durable index calls `valid_frame_index` at every segment refresh). Not a keyword partial for the
# index: a keyword builds a dict at every call, about 1.4 k instructions of a 20 k walk of one frame.
valid_frame_index: Callable[[bytes], tuple[list[tuple[str, int]], int]] = _walk_valid_frames
valid_frame_signal_ids: Callable[[bytes], tuple[list[str], int]] = partial(_walk_valid_frames, with_sequences=False)
valid_frame_signal_ids.__doc__ = """Signal ids of the CRC-valid frame prefix and the bytes it covers (see valid_frame_index):
    the same frames, by the same rule, without building the (id, sequence) pairs."""


class BytesMemo:
    """Values computed from bytes alone, by key, reused while the bytes are byte for byte the same
    (compared whole, never by size). For callers that ask about many ledgers sharing most segments:
    the exhaustive check parses one per crash state, which differ in a tail or two; the observers
    index the same segments after each pass. A hit is the value the same bytes gave; callers must
    not mutate it. Bounded in bytes held; dropping it costs speed, never an answer."""

    def __init__(self, bytes_max: int = 64 * 1024 * 1024) -> None:
        assert bytes_max >= 0
        self.bytes_max = bytes_max
        self._known: dict[object, tuple[bytes, object]] = {}
        self._bytes = 0

    def get(self, key: object, data: bytes, compute: Callable[[bytes], T]) -> T:
        known = self._known.get(key)
        if known is not None and known[0] == data:
            return known[1]  # type: ignore[return-value]
        value = compute(data)
        if known is not None:
            self._bytes -= len(known[0])
            del self._known[key]
        if len(data) <= self.bytes_max:
            if self._bytes + len(data) > self.bytes_max:
                self._known.clear()
                self._bytes = 0
            self._known[key] = (data, value)
            self._bytes += len(data)
        return value


@functools.lru_cache(maxsize=PATHS_KNOWN_MAX)
def _partition_and_name(path: str, root: str) -> tuple[str, str] | None:
    """(partition, file name) of a file two levels under `root`, else None. Remembered: the exhaustive
    check parses a ledger per crash state, and every state has nearly the same paths."""
    if posixpath.dirname(posixpath.dirname(path)) != root:
        return None
    return posixpath.basename(posixpath.dirname(path)), posixpath.basename(path)


def parse_ledger(files: Mapping[str, bytes], root: str, *, memo: BytesMemo | None = None) -> dict[str, OraclePartition]:
    """Partitions (sorted) of the ledger under `root` found in a path -> bytes mapping (segments
    through `memo` when given: the same parse, shared)."""
    root = root.rstrip("/")
    partitions: dict[str, OraclePartition] = {}
    for path in sorted(files):
        parts = _partition_and_name(path, root)
        if parts is None:
            continue
        partition, name = parts
        if name == "_manifest.json":
            entry = partitions.setdefault(partition, OraclePartition(partition))
            # the manifest parsed once per distinct bytes when a memo is given (its key: no segment's name)
            sealed, held = (_manifest_facts(partition, files[path]) if memo is None else
                            memo.get((partition, name), files[path], partial(_manifest_facts, partition)))
            entry.sealed, entry.held_segments = sealed, dict(held)
            continue
        if not (name.startswith("segment-") and name.endswith(".log")):
            continue
        entry = partitions.setdefault(partition, OraclePartition(partition))
        data = files[path]
        entry.segments.append(parse_segment(partition, name, data) if memo is None else
                              memo.get((partition, name), data, partial(parse_segment, partition, name)))
    return dict(sorted((name, entry) for name, entry in partitions.items() if entry.segments))


# a segment file's name (docs/ledger-format.md), as the format writes it
_SEGMENT_NAME = re.compile(r"segment-[0-9]{6}\.log")

def _manifest_facts(partition: str, data: bytes) -> tuple[bool | None, dict[str, tuple[int, int]]]:
    """(the manifest's `sealed`, the segments it holds to counts): one parse of its bytes for both.
    A manifest that breaks the format's rules (docs/ledger-format.md, "Manifest") is no readable
    manifest: no reader can trust what it says, sealed or not. Found twice by rot on a sealed
    day's manifest whose JSON still parsed: `chaos` seed 309222 (an entry's name turned into
    another's) and `chaos` seed 310940 (`updated_at` no longer a timestamp)."""
    try:
        document = json.loads(data)
    except ValueError:
        return None, {}
    if not _follows_the_format(document, partition):
        return None, {}
    return _manifest_sealed(document), _manifest_held_segments(document)


# The manifest's fields (docs/ledger-format.md): every one required but these two, none other allowed
_MANIFEST_FIELDS = frozenset({"format_version", "partition", "is_late", "sealed", "sealed_at", "revision",
                              "highwater_sequence", "record_count", "segments", "updated_at"})
_MANIFEST_FIELDS_OPTIONAL = frozenset({"format_version", "sealed_at"})  # absent: 1 and null
_ENTRY_FIELDS = frozenset({"name", "record_count", "size_bytes", "sealed"})
MANIFEST_FORMAT_VERSION = 1


def _count(value: object, least: int) -> bool:
    """A JSON integer (not a bool, not a float) of at least `least`."""
    return type(value) is int and value >= least


def _utc_timestamp(value: object) -> bool:
    """A timestamp with its offset, as the format reads one (docs/ledger-format.md, "Manifest"): a
    real date and time of day whose instant exists in UTC."""
    found = _TIMESTAMP.fullmatch(value) if type(value) is str else None
    if found is None:
        return False
    year, month, day, hour, minute, second, fraction, zulu, sign, offset_h, offset_m = found.groups()
    if zulu is None and (int(offset_h) > 23 or int(offset_m) > 59):
        return False
    offset = timedelta(0) if zulu is not None else (-1 if sign == "-" else 1) * timedelta(
        hours=int(offset_h), minutes=int(offset_m))
    try:
        moment = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second or 0),
                          int((fraction or "0")[:6].ljust(6, "0")), tzinfo=timezone(offset))
        moment.astimezone(timezone.utc)
    except (ValueError, OverflowError):  # no such date or time, or no such instant in UTC
        return False
    return True


# RFC 3339's date-time with an offset, and what else the format's reader takes: "t", "_" or a space
# for the "T", a "z", a "," for the fraction's point, any number of fraction digits (read to the
# microsecond), seconds left out, an offset without its colon. (It also reads a string of digits as
# Unix seconds; no rot of a timestamp the writer wrote makes one, and the oracle does not take it.)
_TIMESTAMP = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt _]([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:[.,]([0-9]+))?)?"
    r"(?:([Zz])|([+-])([0-9]{2}):?([0-9]{2}))", re.ASCII)


def _follows_the_format(document: object, partition: str) -> bool:
    """The format's rules on a manifest (docs/ledger-format.md), read independently of the system's
    parser: an object of the manifest's fields only, each of its type and range (`partition` this
    partition's name, `format_version` 1, timestamps with an offset), a list of entries of the
    entry's fields only, whose names are distinct segment names in order and whose record counts
    sum to the manifest's `record_count`."""
    if not isinstance(document, dict):
        return False
    keys = document.keys()
    if not keys <= _MANIFEST_FIELDS or not _MANIFEST_FIELDS - _MANIFEST_FIELDS_OPTIONAL <= keys:
        return False
    version = document.get("format_version", MANIFEST_FORMAT_VERSION)
    if type(version) is not int or version != MANIFEST_FORMAT_VERSION:
        return False
    if type(document["partition"]) is not str or document["partition"] != partition:
        return False
    if type(document["is_late"]) is not bool or type(document["sealed"]) is not bool:
        return False
    if not (_count(document["revision"], 1) and _count(document["highwater_sequence"], 0)
            and _count(document["record_count"], 0)):
        return False
    sealed_at = document.get("sealed_at")
    if not _utc_timestamp(document["updated_at"]) or not (sealed_at is None or _utc_timestamp(sealed_at)):
        return False
    entries = document["segments"]
    if not isinstance(entries, list):
        return False
    for entry in entries:
        if not isinstance(entry, dict) or entry.keys() != _ENTRY_FIELDS:
            return False
        if not (_count(entry["record_count"], 0) and _count(entry["size_bytes"], 0)
                and type(entry["sealed"]) is bool):
            return False
    names = [entry["name"] for entry in entries]
    if not all(isinstance(name, str) and _SEGMENT_NAME.fullmatch(name) for name in names):
        return False
    if names != sorted(set(names)):
        return False
    return sum(entry["record_count"] for entry in entries) == document["record_count"]


def _manifest_sealed(document: object) -> bool | None:
    sealed = document.get("sealed") if isinstance(document, dict) else None
    return sealed if isinstance(sealed, bool) else None


def _manifest_held_segments(document: object) -> dict[str, tuple[int, int]]:
    try:
        sealed = document["sealed"] is True  # type: ignore[index]
        return {
            str(entry["name"]): (int(entry["record_count"]), int(entry["size_bytes"]))
            for entry in document["segments"]  # type: ignore[index]
            if sealed or entry["sealed"] is True
        }
    except (ValueError, KeyError, TypeError, AttributeError):
        return {}


def signal_ids(partitions: Mapping[str, OraclePartition]) -> set[str]:
    return {record.signal_id for partition in partitions.values() for record in partition.records}
