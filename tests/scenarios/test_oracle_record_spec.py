"""The oracle's record parse (`_record_at`) takes json.loads' steps itself (the BOM refused, one scan,
only whitespace after it) without the frames around them. The parse it replaced is kept here
verbatim as the spec: every payload is a record, or not, exactly as json.loads judged it, with the
same fields, including payloads json.loads refuses for a BOM, extra data or whitespace."""
from __future__ import annotations

import json
import struct
import zlib

from hypothesis import given, settings
from hypothesis import strategies as st

from scenarios.ledger_oracle import (FRAME_HEADER, FRAME_MAX_BYTES, OracleRecord, OracleSegment, _record_at,
                                     _salvage, parse_segment)


def spec_record_at(partition: str, name: str, data: bytes, offset: int) -> OracleRecord | None:
    """`_record_at` before the fast path (verbatim)."""
    header_size = FRAME_HEADER.size
    if offset + header_size > len(data):
        return None
    length, crc = FRAME_HEADER.unpack_from(data, offset)
    if length == 0 or length > FRAME_MAX_BYTES or offset + header_size + length > len(data):
        return None
    payload = data[offset + header_size : offset + header_size + length]
    if zlib.crc32(payload) != crc:
        return None
    try:
        document = json.loads(payload.decode("utf-8"))
        event = document["event"]
        return OracleRecord(
            partition=partition,
            segment=name,
            offset_bytes=offset,
            signal_id=str(event["signal_id"]),
            sequence=int(event["ledger_sequence"]),
            # the spec's record kept the whole event; the oracle keeps its timestamps (see OracleRecord)
            timestamps={key: event[key] for key in ("emitted_at", "observed_at", "ledger_written_at") if key in event},
        )
    except (ValueError, KeyError, TypeError):
        return None


def outcome(parse, data: bytes, offset: int) -> object:
    """The record, None, or the type of the error the parse raised (an infinite sequence raises)."""
    try:
        record = parse("p", "segment-000001.log", data, offset)
    except Exception as error:  # noqa: BLE001 - the same error is part of the answer
        return type(error)
    if record is None:
        return None
    # the whole state, in its order, not only what `==` compares: a record built without the
    # dataclass's `__init__` must be the object that `__init__` builds
    assert type(record) is OracleRecord
    return record, list(vars(record)), repr(record)


def framed(payload: bytes) -> bytes:
    return struct.pack(">II", len(payload), zlib.crc32(payload)) + payload


GOOD = '{"schema_version":1,"event":{"signal_id":"S1","ledger_sequence":7,"emitted_at":"2026-01-01T00:00:00Z"}}'
EDGES = [
    GOOD, " " + GOOD, GOOD + " \n\t\r", "\ufeff" + GOOD, GOOD + "x", GOOD + " {}", "", " ", "{", "[1]",
    '{"event":[]}', '{"event":{"signal_id":"S","ledger_sequence":"x"}}', '{"event":{"signal_id":"S"}}',
    '{"event":{"signal_id":null,"ledger_sequence":1.0}}', '{"event":{"signal_id":"S","ledger_sequence":NaN}}',
    '{"event":{"signal_id":"S","ledger_sequence":Infinity}}', '"\\ud800"', '{"event":{"signal_id":"S",'
    '"ledger_sequence":1}} \x0b', '\x0c' + GOOD, GOOD + "\x00", '{"a":1,"a":2,"event":{"signal_id":1,"ledger_sequence":true}}',
]


def test_the_record_parse_judges_every_edge_as_json_loads_did() -> None:
    for text in EDGES:
        for payload in (text.encode("utf-8", "surrogatepass"), text.encode("utf-16")):
            data = b"\x00" * 3 + framed(payload)
            assert outcome(_record_at, data, 3) == outcome(spec_record_at, data, 3), text
    assert outcome(_record_at, framed(GOOD.encode()), 0) == outcome(spec_record_at, framed(GOOD.encode()), 0) is not None
    good = _record_at("p", "segment-000001.log", framed(GOOD.encode()), 0)
    try:
        good.sequence = 8  # type: ignore[misc]
    except AttributeError:
        pass
    else:
        raise AssertionError("a parsed record is frozen, as the dataclass says")
    bad_utf8 = framed(b'{"event":{"signal_id":"\xff","ledger_sequence":1}}')
    assert outcome(_record_at, bad_utf8, 0) is None is outcome(spec_record_at, bad_utf8, 0)


_json_text = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(["event", "signal_id", "ledger_sequence", "x"]), inner, max_size=4),
    max_leaves=8,
).map(json.dumps)


@settings(max_examples=400, deadline=None)
@given(
    text=st.one_of(_json_text, st.text(max_size=40)),
    signal_id=st.one_of(st.text(max_size=6), st.integers()),
    sequence=st.one_of(st.integers(), st.text(max_size=4), st.floats()),
    prefix=st.sampled_from(["", " ", "\n", "\ufeff", "\x0b"]),
    suffix=st.sampled_from(["", " ", "\r\n", "x", "\x00", " 1"]),
    as_record=st.booleans(),
)
def test_the_record_parse_answers_as_json_loads_did_on_any_payload(
    text: str, signal_id: object, sequence: object, prefix: str, suffix: str, as_record: bool
) -> None:
    if as_record:
        text = json.dumps({"schema_version": 1, "event": {"signal_id": signal_id, "ledger_sequence": sequence}})
    data = framed((prefix + text + suffix).encode("utf-8", "surrogatepass"))
    assert outcome(_record_at, data, 0) == outcome(spec_record_at, data, 0)


def spec_parse_segment(partition: str, name: str, data: bytes) -> OracleSegment:
    """`parse_segment` before its frame loop took `_record_at`'s steps itself (verbatim)."""
    segment = OracleSegment(name=name, size_bytes=len(data), valid_bytes=0)
    offset = 0
    header_size = FRAME_HEADER.size
    frames_max = len(data) // header_size + 1
    for _ in range(frames_max):
        record = _record_at(partition, name, data, offset)
        if record is None:
            break
        segment.records.append(record)
        offset += header_size + FRAME_HEADER.unpack_from(data, offset)[0]
        segment.valid_bytes = offset
    if segment.valid_bytes < len(data):
        _salvage(partition, name, data, segment)
    return segment


def segment_outcome(parse, data: bytes) -> object:
    """The segment's whole state (every record's state, in order), or the type of the error raised."""
    try:
        segment = parse("p", "segment-000001.log", data)
    except Exception as error:  # noqa: BLE001 - the same error is part of the answer
        return type(error)
    assert type(segment) is OracleSegment
    return (segment.name, segment.size_bytes, segment.valid_bytes,
            [(list(vars(r)), repr(r)) for r in segment.records], [(list(vars(r)), repr(r)) for r in segment.salvaged])


def _record_payload(sequence: object, signal_id: object = "S") -> bytes:
    return json.dumps({"schema_version": 1, "event": {"signal_id": signal_id, "ledger_sequence": sequence,
                                                      "emitted_at": "2026-01-01T00:00:00Z"}}).encode()


_frame = st.one_of(
    st.integers(0, 30).map(lambda n: framed(_record_payload(n))),  # a record (sequences may repeat or fall)
    st.sampled_from(EDGES).map(lambda text: framed(text.encode("utf-8", "surrogatepass"))),
    _json_text.map(lambda text: framed(text.encode())),
    st.integers(1, 30).map(lambda n: framed(_record_payload(n))[:-1] + b"!"),  # CRC fails
    st.binary(max_size=12),  # a torn tail, zeros, rot
    st.just(struct.pack(">II", FRAME_MAX_BYTES + 1, 0)), st.just(struct.pack(">II", 0, 0)),
)


@settings(max_examples=500, deadline=None)
@given(frames=st.lists(_frame, max_size=8), flip=st.one_of(st.none(), st.integers(0, 4000)))
def test_the_segment_parse_is_the_per_frame_loop_it_replaced(frames: list[bytes], flip: int | None) -> None:
    data = b"".join(frames)
    if flip is not None and data:
        position = flip % len(data)
        data = data[:position] + bytes([data[position] ^ 0x10]) + data[position + 1:]
    assert segment_outcome(parse_segment, data) == segment_outcome(spec_parse_segment, data)


def test_the_segment_parse_of_a_whole_segment_and_its_damage() -> None:
    good = b"".join(framed(_record_payload(n, f"S{n}")) for n in range(1, 6))
    for data in (b"", good, good + b"\x00\x00", good[:-3], good[:40] + b"x" + good[41:],
                 framed(_record_payload(1)) + framed(b"{") + framed(_record_payload(2)) + framed(_record_payload(3))):
        assert segment_outcome(parse_segment, data) == segment_outcome(spec_parse_segment, data)
    whole = parse_segment("p", "segment-000001.log", good)
    assert [r.sequence for r in whole.records] == [1, 2, 3, 4, 5] and whole.clean
