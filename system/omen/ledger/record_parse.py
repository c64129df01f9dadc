"""Turning a CRC-checked frame payload into a record: strictly, with only typed failures, and lazily.

Strict: a payload is parsed in pydantic's strict mode, so a sequence written as the string "5" is
refused rather than coerced (the writer never writes one). Typed: whatever a payload holds (a
timestamp whose conversion to UTC overflows, invalid UTF-8, a wrong type) ends as
`LedgerCorruptionError` naming partition, segment and offset, never a bare OverflowError.

Lazy: reconcile and the checkers need only a record's sequence and signal_id for most records, and
a full validation costs about forty times the CRC. `SegmentRecords` holds a segment's CRC-checked
frames and reads those two fields straight from the bytes (once per frame, where the writer puts
them); a `ScannedRecord` is one of its frames, validated whole only when `.record` is asked for
(which also checks that the full parse agrees with what was read from the bytes).
"""
from __future__ import annotations

import re
from functools import lru_cache, partial
from itertools import repeat
from operator import add, itemgetter, le

from pydantic import ValidationError

from omen.ledger.errors import LedgerCorruptionError
from omen.ledger.framing import FRAME_TAIL_BYTES, HEADER_BYTES
from omen.schema import LedgerRecord

# Everything pydantic or a validator can raise on hostile bytes: a timestamp overflowing on its way
# to UTC raises OverflowError from inside a validator, bad UTF-8 a UnicodeDecodeError (a ValueError).
PAYLOAD_ERRORS = (ValidationError, ValueError, OverflowError, TypeError, RecursionError)

_SIGNAL_ID_KEY = b'"signal_id":"'
_SEQUENCE_DIGITS_MAX = 19  # a sequence is below 2**63 (SQLite's integer range ends there)
_SIGNAL_ID_BYTES_MAX = 64
_WRITTEN_AT_KEY = b',"ledger_written_at":"'


def parse_record(partition: str, segment: str, offset_bytes: int, payload: bytes) -> LedgerRecord:
    """The strict, fully validated record of one frame payload of `partition`, or corruption."""
    try:
        record = LedgerRecord.model_validate_json(payload, strict=True)
    except PAYLOAD_ERRORS as error:
        raise LedgerCorruptionError(
            partition, segment, offset_bytes, f"frame payload is not a ledger record ({type(error).__name__})"
        ) from error
    if record.partition != partition:
        raise LedgerCorruptionError(partition, segment, offset_bytes, f"record claims partition {record.partition!r}")
    return record


def sequence_key(partition: str) -> bytes:
    """The bytes that precede a record's sequence in its payload, partition included."""
    return b'"ledger_partition":' + b'"' + partition.encode() + b'","ledger_sequence":'


def _unique(payload: bytes, key: bytes) -> int:
    start = payload.find(key)
    if start < 0 or payload.rfind(key) != start:
        return -1
    return start + len(key)


def peek_sequence(payload: bytes, key: bytes) -> int | None:
    """The sequence as the writer encodes it (compact JSON, after this partition's name), or None
    when the bytes do not say it unambiguously: then only a full parse may answer."""
    start = _unique(payload, key)
    if start < 0:
        return None
    end = start
    limit = min(len(payload), start + _SEQUENCE_DIGITS_MAX + 1)
    while end < limit and 48 <= payload[end] <= 57:
        end += 1
    if end == start or end - start > _SEQUENCE_DIGITS_MAX or payload[start] == 48:
        return None  # no digits, too many, or a leading zero (not JSON): let the strict parse decide
    if not payload.startswith(b',"ledger_written_at":"', end):
        return None
    return int(payload[start:end])


def peek_signal_id(payload: bytes) -> str | None:
    """The signal_id as the writer encodes it, or None when the bytes do not say it unambiguously."""
    start = _unique(payload, _SIGNAL_ID_KEY)
    if start < 0:
        return None
    end = payload.find(b'"', start, start + _SIGNAL_ID_BYTES_MAX + 1)
    if end <= start:
        return None
    raw = payload[start:end]
    if b"\\" in raw or not raw.isascii():
        return None
    return raw.decode("ascii")


class SegmentRecords:
    """The CRC-checked frames of one segment and the fields read from their bytes, shared by its records.

    Sequences are read for every frame at once by one compiled pattern over the segment's bytes (C
    speed), signal ids likewise on first demand; given the frames' tails (the reader's first read),
    consecutive sequences are read from those instead, when that provably gives the same list. When a pattern does not match exactly once per
    frame (a payload that itself holds such bytes, or does not hold them), every frame is read on
    its own, and a frame whose bytes stay ambiguous is fully validated.
    """

    __slots__ = ("partition", "segment", "data", "frames", "sequences", "base_offset_bytes", "_signal_ids",
                 "_frames_end", "_validated", "_all_validated")

    def __init__(self, partition: str, segment: str, data: bytes, frames: tuple[tuple[int, int], ...],
                 *, base_offset_bytes: int = 0, read: tuple[list[int], list[str]] | None = None,
                 tails: list[bytes] | None = None) -> None:
        """`frames` are (offset in `data`, payload length); `data` starts at `base_offset_bytes` of the segment.
        `read`: the frames' sequences and signal ids as `frames_read_alone_alike` read them from `data`.
        `tails`: each frame's last FRAME_TAIL_BYTES bytes (`scan_frames_with_tails`); with them the
        sequences are read without the pattern when `consecutive_sequences` proves that equal."""
        self.partition = partition
        self.base_offset_bytes = base_offset_bytes
        self.segment = segment
        self.data = data
        self.frames = frames
        self._signal_ids: list[str] | None = None
        self._validated: list[LedgerRecord | None] | None = None
        self._all_validated: tuple[LedgerRecord, ...] | None = None  # `validated_records`, once all passed
        # only the frames' bytes: a torn tail after them may hold a partial payload
        self._frames_end = frames[-1][0] + HEADER_BYTES + frames[-1][1] if frames else 0
        if read is not None:
            assert len(read[0]) == len(read[1]) == len(frames), "one sequence and one signal id per frame"
            self.sequences: list[int] = read[0]
            self._signal_ids = read[1]
            return
        if tails is not None:
            assert len(tails) == len(frames), "one tail per frame"
            consecutive = consecutive_sequences(partition, data, self._frames_end, tails)
            if consecutive is not None:
                self.sequences = consecutive
                return
        found = list(map(int, _sequence_pattern(partition).findall(data, 0, self._frames_end)))
        if len(found) != len(frames):
            key = sequence_key(partition)
            found = [self._sequence_alone(index, key) for index in range(len(frames))]
        self.sequences = found

    def payload(self, index: int) -> bytes:
        offset, length = self.frames[index]
        return self.data[offset + HEADER_BYTES : offset + HEADER_BYTES + length]

    def parse(self, index: int) -> LedgerRecord:
        return parse_record(self.partition, self.segment, self.base_offset_bytes + self.frames[index][0], self.payload(index))

    def signal_id(self, index: int) -> str:
        signal_ids = self._signal_ids
        if signal_ids is None:
            signal_ids = [match.decode("ascii") for match in _SIGNAL_ID_PATTERN.findall(self.data, 0, self._frames_end)]
            if len(signal_ids) != len(self.frames):
                signal_ids = [self._signal_id_alone(i) for i in range(len(self.frames))]
            self._signal_ids = signal_ids
        return signal_ids[index]

    def records(self) -> list["ScannedRecord"]:
        # map() and zip() run in C: this is once per record on the reader's hot path
        return list(map(partial(tuple.__new__, ScannedRecord), zip(repeat(self), range(len(self.frames)))))

    def validated_records(self) -> tuple[LedgerRecord, ...]:
        """Every frame's record, in order: `[record.record for record in self.records()]` (each
        validated once, the first that fails raising before any is returned). WHY: a strict read of a
        segment the reader verified before (its memo) asked each record again through two frames, a
        fifth of a recovered crash state's read; once all passed, the same records are handed at once."""
        found = self._all_validated
        if found is None:
            validated = self.validated
            found = self._all_validated = tuple([validated(index) for index in range(len(self.frames))])
        return found

    def validated(self, index: int, *, parsed: LedgerRecord | None = None) -> LedgerRecord:
        """The record of frame `index`, strictly validated once and cross-checked with its bytes.

        `parsed`: what `parse_record` gave before for byte-for-byte this payload of this partition
        (a pure function of the two), used instead of parsing again; the cross-check still runs."""
        cache = self._validated
        if cache is None:
            cache = self._validated = [None] * len(self.frames)
        record = cache[index]
        if record is None:
            record = self.parse(index) if parsed is None else parsed
            assert record.partition == self.partition, "a parse of this partition's payload names it"
            for field_name, read, parsed_value in (
                ("sequence", self.sequences[index], record.sequence),
                ("signal_id", self.signal_id(index), record.event.signal_id),
            ):
                if read != parsed_value:
                    raise LedgerCorruptionError(
                        self.partition, self.segment, self.base_offset_bytes + self.frames[index][0],
                        f"payload bytes say {field_name} {read}, its record says {parsed_value}",
                    )
            cache[index] = record
        return record

    def _sequence_alone(self, index: int, key: bytes) -> int:
        sequence = peek_sequence(self.payload(index), key)
        return self.parse(index).sequence if sequence is None else sequence

    def _signal_id_alone(self, index: int) -> str:
        signal_id = peek_signal_id(self.payload(index))
        return self.parse(index).event.signal_id if signal_id is None else signal_id


class ScannedRecord(tuple):
    """One CRC-checked frame of a partition; the full record is validated on first use of `.record`.

    `sequence` and `signal_id` are read from the payload bytes; `.record` validates the payload
    strictly and raises LedgerCorruptionError if it is not a record, or disagrees with them.
    A (segment, index) pair: a tuple costs a fraction of an object with attributes, and a scan
    makes one per record.
    """

    __slots__ = ()

    def __new__(cls, segment: SegmentRecords, index: int) -> "ScannedRecord":
        return tuple.__new__(cls, (segment, index))

    @property
    def partition(self) -> str:
        return self[0].partition

    @property
    def segment(self) -> str:
        return self[0].segment

    @property
    def offset_bytes(self) -> int:
        return self[0].base_offset_bytes + self[0].frames[self[1]][0]

    @property
    def sequence(self) -> int:
        return self[0].sequences[self[1]]

    @property
    def payload(self) -> bytes:
        return self[0].payload(self[1])

    @property
    def signal_id(self) -> str:
        return self[0].signal_id(self[1])

    @property
    def record(self) -> LedgerRecord:
        """The strictly validated record; LedgerCorruptionError when the payload is not one of ours."""
        return self[0].validated(self[1])

    def __eq__(self, other: object) -> bool:
        return self is other

    def __hash__(self) -> int:
        return id(self)

    def __repr__(self) -> str:
        return f"ScannedRecord({self.partition!r}, {self.segment!r}, offset={self.offset_bytes}, sequence={self.sequence})"


def scanned_record_of(record: LedgerRecord, *, segment: str = "", offset_bytes: int = 0) -> ScannedRecord:
    """A ScannedRecord holding `record` itself (for readers that are not backed by frames, such as fakes)."""
    payload = record.to_payload()
    frame = SegmentRecords(record.partition, segment, bytes(HEADER_BYTES) + payload, ((0, len(payload)),),
                           base_offset_bytes=offset_bytes)
    frame._signal_ids = [record.event.signal_id]
    frame._validated = [record]
    (scanned,) = frame.records()
    return scanned


def consecutive_sequences(partition: str, data: bytes, frames_end: int, tails: list[bytes]) -> list[int] | None:
    """The frames' sequences when they are consecutive and the bytes prove that the pattern over
    `data[:frames_end]` reads exactly these (what `SegmentRecords` reads without tails); else None.

    `tails` are the last FRAME_TAIL_BYTES bytes of each frame, back to back in `data` up to
    `frames_end`, each inside its frame's payload. WHY: the writer gives a segment's records
    consecutive sequences, and puts each one at the same distance from its payload's end (only the
    digit count moves it). So one bytes comparison of all tails at once, against the tails those
    sequences give (everything but the bytes before the key and after the written_at key masked),
    checks every frame; a per-frame regex match and int() cost three times that.

    Exact: the comparison shows the key, then the digits of s0 + i (canonical: no sign, no leading
    zero, at most 19), then `,"ledger_written_at":"` inside frame i's payload. When the key occurs
    exactly once per frame in all of `data[:frames_end]` (`count`, which sees every occurrence since
    the key cannot overlap itself), those are the only places the pattern can match, its matches
    there cannot overlap (each lies in its own payload), and findall returns exactly these digits.
    """
    count = len(tails)
    tail_bytes = FRAME_TAIL_BYTES
    key, overlaps = _tail_key(partition)
    if not count or overlaps or data.count(key, 0, frames_end) != count:
        return None
    first = tails[0]
    first_sequence = peek_sequence(first, key)  # the key once in this tail, digits, the written_at key
    if first_sequence is None:
        return None
    last_sequence = first_sequence + count - 1
    if last_sequence >= 10 ** _SEQUENCE_DIGITS_MAX:
        return None
    # where the written_at key starts in every tail: after frame 0's digits; what follows it (the
    # timestamp, the closing braces) must have the same length in every frame, or the comparison fails
    written_at = first.find(key) + len(key) + len(str(first_sequence))
    after = tail_bytes - written_at - len(_WRITTEN_AT_KEY)
    if written_at - len(key) - len(str(last_sequence)) < 0:
        return None  # the longest sequence's key would start before the tail
    actual = bytearray().join(tails)
    expected: list[bytes] = []
    zeros = bytes(count)
    low = first_sequence
    index = 0
    for _ in range(_SEQUENCE_DIGITS_MAX):  # one run of tails per digit count
        digits = len(str(low))
        high = min(last_sequence, 10 ** digits - 1)
        run = high - low + 1
        before = written_at - digits - len(key)
        first_byte, end_byte = index * tail_bytes, (index + run) * tail_bytes
        # the digits, one column of the tails at a time (C-speed strided slices, no int per frame);
        # then masked, with what the comparison does not hold (before the key, after the written_at key)
        for place in range(digits):
            column = first_byte + written_at - 1 - place
            if actual[column:end_byte:tail_bytes] != _digit_column(low, high, place):
                return None
        for column in (*range(before), *range(before + len(key), written_at), *range(tail_bytes - after, tail_bytes)):
            actual[first_byte + column:end_byte:tail_bytes] = zeros[:run]
        expected.append((bytes(before) + key + bytes(digits) + _WRITTEN_AT_KEY + bytes(after)) * run)
        index += run
        low = high + 1
        if low > last_sequence:
            break
    assert index == count, "every frame in one run"
    if actual != b"".join(expected):
        return None
    return list(range(first_sequence, last_sequence + 1))


_DIGIT_BYTES = [bytes([48 + digit]) for digit in range(10)]
# place -> the digit at that place of 0, 1, 2, ... up to one full cycle (10 ** (place + 1) bytes)
_DIGIT_CYCLES = [b"".join(_DIGIT_BYTES[n // 10 ** place % 10] for n in range(10 ** (place + 1))) for place in range(3)]


def _digit_column(low: int, high: int, place: int) -> bytes:
    """The ASCII digit at `place` (0: units) of each of low, low + 1, ..., high."""
    count = high - low + 1
    if place < len(_DIGIT_CYCLES):  # a cycle of at most 1,000 bytes, repeated
        cycle = _DIGIT_CYCLES[place]
        start = low % len(cycle)
        return (cycle * ((start + count) // len(cycle) + 1))[start : start + count]
    unit = 10 ** place  # runs of `unit` equal digits: at most count // unit + 2 of them
    parts = []
    sequence = low
    for _ in range(count // unit + 2):
        if sequence > high:
            break
        last = min(high, (sequence // unit + 1) * unit - 1)
        parts.append(_DIGIT_BYTES[sequence // unit % 10] * (last - sequence + 1))
        sequence = last + 1
    assert sequence == high + 1, "every sequence in one run"
    return b"".join(parts)


@lru_cache(maxsize=4096)
def _tail_key(partition: str) -> tuple[bytes, bool]:
    """The partition's sequence key, and whether two of its occurrences can overlap (a proper
    prefix that is also a suffix: then `count` would not see them all)."""
    key = sequence_key(partition)
    return key, any(key[:size] == key[-size:] for size in range(1, len(key)))


def frames_read_alone_alike(partition: str, data: bytes,
                            frames: tuple[tuple[int, int], ...]) -> tuple[list[int], list[str]] | None:
    """The sequences and signal ids of `frames` (CRC-checked, back to back in `data`) read from the
    whole of `data` at once, when that is provably what reading each frame on its own gives; else None.

    WHY: salvage judges every frame on its own (`SegmentRecords` over that one frame), because next
    to damage a frame cannot lean on its neighbours; a clean run of frames is cheaper read as one.
    The two readings agree when each pattern matches exactly once inside each frame's bytes: the
    whole-data scan finds matches leftmost first without overlap, so no other match can start
    inside a frame, and a frame read alone finds that one match and no other. Anything else (a
    payload holding such bytes twice, or not at all) answers None, and the caller reads frame by frame.
    """
    if not frames:
        return None
    # where each frame's bytes start and end; map() and zip() keep the per-frame work in C
    starts = list(map(itemgetter(0), frames))
    limits = list(map(add, map(sum, frames), repeat(HEADER_BYTES)))
    sequences = _one_match_per_frame(_sequence_pattern(partition), data, starts, limits)
    if sequences is None:
        return None
    signal_ids = _one_match_per_frame(_SIGNAL_ID_PATTERN, data, starts, limits)
    if signal_ids is None:
        return None
    return list(map(int, sequences)), [raw.decode("ascii") for raw in signal_ids]


def _one_match_per_frame(pattern: re.Pattern[bytes], data: bytes, starts: list[int],
                         limits: list[int]) -> list[bytes] | None:
    """Each frame's one match of `pattern` (its group), or None unless every frame holds exactly one
    (frame i spans bytes [starts[i], limits[i]) of `data`, in order, without overlap)."""
    matches = list(pattern.finditer(data, 0, limits[-1]))
    if len(matches) != len(starts):
        return None
    if not all(map(le, starts, map(_MATCH_START, matches))) or not all(map(le, map(_MATCH_END, matches), limits)):
        return None
    return list(map(_MATCH_GROUP, matches, repeat(1)))


_MATCH_START, _MATCH_END, _MATCH_GROUP = re.Match.start, re.Match.end, re.Match.group
_SIGNAL_ID_PATTERN = re.compile(rb'"signal_id":"([\x20-\x21\x23-\x5b\x5d-\x7e]{1,64})"')
_SEQUENCE_PATTERNS: dict[str, re.Pattern[bytes]] = {}
_SEQUENCE_PATTERNS_MAX = 4096


def _sequence_pattern(partition: str) -> re.Pattern[bytes]:
    pattern = _SEQUENCE_PATTERNS.get(partition)
    if pattern is None:
        if len(_SEQUENCE_PATTERNS) >= _SEQUENCE_PATTERNS_MAX:
            _SEQUENCE_PATTERNS.clear()
        pattern = re.compile(re.escape(sequence_key(partition)) + rb'([1-9][0-9]{0,18}),"ledger_written_at":"')
        _SEQUENCE_PATTERNS[partition] = pattern
    return pattern


__all__ = ["PAYLOAD_ERRORS", "ScannedRecord", "SegmentRecords", "consecutive_sequences", "frames_read_alone_alike", "parse_record", "scanned_record_of", "peek_sequence", "peek_signal_id", "sequence_key"]
