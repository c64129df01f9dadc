"""The oracle's cheap frame walk (`valid_frame_index`, `valid_frame_signal_ids`) answers exactly as
the walk it replaced, kept here verbatim as the spec: the same frames, the same covered bytes, and
the same error where the old walk raised (a CRC-valid payload whose id has no closing quote, or is
not UTF-8). The durable index's answers stand on it, so any shortcut in it must be held here."""
from __future__ import annotations

import re
import struct
import zlib

from hypothesis import given, settings
from hypothesis import strategies as st

from scenarios.ledger_oracle import FRAME_HEADER, FRAME_MAX_BYTES, valid_frame_index, valid_frame_signal_ids

SIGNAL_ID_KEY = b'"signal_id":"'
SEQUENCE_KEY = b'"ledger_sequence":'
_DIGITS = re.compile(rb"[0-9]+")


def spec_valid_frame_index(data: bytes) -> tuple[list[tuple[str, int]], int]:
    """`valid_frame_index` as it was before the walk was shared (verbatim but for the names)."""
    found: list[tuple[str, int]] = []
    offset = 0
    header_size = FRAME_HEADER.size
    for _ in range(len(data) // header_size + 1):
        if offset + header_size > len(data):
            break
        length, crc = FRAME_HEADER.unpack_from(data, offset)
        end = offset + header_size + length
        if length == 0 or length > FRAME_MAX_BYTES or end > len(data):
            break
        payload = data[offset + header_size:end]
        if zlib.crc32(payload) != crc:
            break
        id_start = payload.find(SIGNAL_ID_KEY)
        sequence_start = payload.find(SEQUENCE_KEY)
        if id_start < 0 or sequence_start < 0:
            break
        id_start += len(SIGNAL_ID_KEY)
        digits = _DIGITS.match(payload, sequence_start + len(SEQUENCE_KEY))
        if digits is None:
            break
        found.append((payload[id_start:payload.index(b'"', id_start)].decode(), int(digits.group())))
        offset = end
    return found, offset


def outcome(walk, data: bytes) -> object:  # noqa: ANN001
    try:
        return walk(data)
    except ValueError as error:  # UnicodeDecodeError is one; so is int()'s digit limit
        return type(error)


# Payload pieces: the keys, near-misses of them, digits, quotes, bytes that are not UTF-8, filler.
PIECES = st.sampled_from([
    SIGNAL_ID_KEY, SEQUENCE_KEY, b'"signal_id": "', b'"ledger_sequence": ', b'"ledger_sequence":',
    b"0", b"7", b"42", b"x", b'"', b",", b"}", b"{", b"\xff", b"\xc3\xa9", b"OMEN-1", b"A" * 30,
])
PAYLOADS = st.one_of(
    st.lists(PIECES, max_size=12).map(b"".join),
    st.builds(lambda signal, sequence, pad: b'{"event":{"signal_id":"%s","ledger_sequence":%d%s}}' % (
        signal.encode(), sequence, pad), st.text("ABC-\u00e9", max_size=6), st.integers(0, 10**6), st.binary(max_size=8)),
    # room for a long digit run after the key: the walk must take its int() path there too
    st.builds(lambda digits, tail: b'{"signal_id":"L","ledger_sequence":' + b"9" * digits + tail,
              st.integers(0, 5000), st.sampled_from([b"}", b"", b"x" * 700])),
)


def encoded(payload: bytes, damage: int) -> bytes:
    crc = zlib.crc32(payload)
    if damage == 1:
        crc ^= 1  # a CRC that fails
    length = len(payload) if damage != 2 else len(payload) + 3  # a length past the end
    return struct.pack(">II", length, crc) + payload


FRAMES = st.tuples(PAYLOADS, st.sampled_from([0, 0, 0, 0, 1, 2]))


@settings(max_examples=300, deadline=None)
@given(frames=st.lists(FRAMES, max_size=6), cut=st.integers(min_value=0, max_value=12))
def test_the_walk_finds_what_the_old_walk_found(frames: list[tuple[bytes, int]], cut: int) -> None:
    data = b"".join(encoded(payload, damage) for payload, damage in frames)
    data = data[: len(data) - cut] if cut < 12 else data + b"\x00\x00\x00"  # a torn tail, or a zero length
    expected = outcome(spec_valid_frame_index, data)
    assert outcome(valid_frame_index, data) == expected
    ids = outcome(valid_frame_signal_ids, data)
    if isinstance(expected, tuple):
        assert ids == ([signal_id for signal_id, _ in expected[0]], expected[1])
    else:
        assert ids == expected


def test_a_digit_run_past_the_int_digit_limit_raises_in_both_walks() -> None:
    """The ids-only walk does not need the sequence's value, but it keeps the old walk's error."""
    payload = b'{"signal_id":"L","ledger_sequence":' + b"9" * 5000 + b"}"
    data = encoded(payload, 0)
    assert outcome(spec_valid_frame_index, data) is ValueError
    assert outcome(valid_frame_index, data) is ValueError
    assert outcome(valid_frame_signal_ids, data) is ValueError
