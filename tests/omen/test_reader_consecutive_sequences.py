"""Specification of the reader's tail-read sequences: the same answers as the pattern, only cheaper.

The reader's first read walks a segment with `scan_frames_with_tails`, which also hands on each
frame's last FRAME_TAIL_BYTES bytes, and `SegmentRecords` reads the sequences from those when
`consecutive_sequences` proves them equal to what the pattern over the whole segment reads. So:
- `scan_frames_with_tails` says exactly what `scan_frames` says, for any bytes, and its tails are
  the frames' last bytes (None when a frame is shorter);
- `SegmentRecords` given the tails holds exactly the sequences it holds without them (the code
  it had before, kept below verbatim as the reference), or raises the same error, over segments
  of writer-made records with any sequences, timestamps and partitions, crafted payloads (a second
  key, odd digits, cut payloads, noise), and damage after them.
"""
from __future__ import annotations

from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from omen import LedgerCorruptionError, LedgerReader
from omen.ledger.framing import FRAME_TAIL_BYTES, encode_frame, scan_frames, scan_frames_with_tails
from omen.ledger.record_parse import SegmentRecords, _sequence_pattern, sequence_key
from omen.schema import LedgerRecord
from tests.omen.ledger_helpers import DAY_1, make_event
from tests.omen.test_reader_scan_fast_paths import damaged

PARTITIONS = ["2026-03-01", "2026-03-01-late", "2026-12-31"]
_EVENTS = [make_event(index) for index in range(12)]


def reference_sequences(partition: str, data: bytes, frames: tuple[tuple[int, int], ...]) -> list[int]:
    """`SegmentRecords.__init__`'s reading of the sequences before tails (the sixth round's, verbatim)."""
    self = SegmentRecords(partition, "s", data, frames, read=([0] * len(frames), [""] * len(frames)))
    found = list(map(int, _sequence_pattern(partition).findall(data, 0, self._frames_end)))
    if len(found) != len(frames):
        key = sequence_key(partition)
        found = [self._sequence_alone(index, key) for index in range(len(frames))]
    return found


def reading(read) -> tuple[list[int] | None, str | None]:  # noqa: ANN001
    try:
        return read(), None
    except LedgerCorruptionError as error:
        return None, f"{type(error).__name__}: {error}"


@st.composite
def crafted_payload(draw, partition: str, index: int, sequence: int, written_at_us: int) -> bytes:  # noqa: ANN001
    """A writer-made payload of `sequence`, or one changed the way hostile bytes could change it."""
    event = _EVENTS[index % len(_EVENTS)].with_ledger_metadata(
        partition=partition, sequence=sequence, written_at=DAY_1 + timedelta(microseconds=written_at_us))
    payload = LedgerRecord.payload_of(event)
    kind = draw(st.sampled_from(["writer"] * 6 + ["second_key", "digits", "cut", "noise", "other_partition"]))
    if kind == "second_key":  # the key (with digits and the written_at key, or not) once more, anywhere
        extra = sequence_key(partition) + draw(st.sampled_from([b"7", b"70", b"", b"x"])) + draw(
            st.sampled_from([b',"ledger_written_at":"', b",", b""]))
        at = draw(st.integers(0, len(payload)))
        payload = payload[:at] + extra + payload[at:]
    elif kind == "digits":  # the sequence's text replaced: leading zero, sign, space, too long, none
        text = b"%d" % sequence
        start = payload.rindex(b'"ledger_sequence":') + len(b'"ledger_sequence":')
        new = draw(st.sampled_from([b"0" + text, b"+" + text, b" " + text, b"", b"1" * 20, b"9" * 19,
                                    b"%d" % (sequence + 1), b"1_0"]))
        payload = payload[:start] + new + payload[start + len(text):]
    elif kind == "cut":
        payload = payload[: draw(st.integers(1, len(payload)))]
    elif kind == "noise":
        payload = draw(st.binary(min_size=1, max_size=FRAME_TAIL_BYTES + 40))
    elif kind == "other_partition":
        payload = payload.replace(partition.encode(), b"2026-03-02")
    return payload


@st.composite
def segments(draw) -> tuple[str, bytes]:  # noqa: ANN001
    partition = draw(st.sampled_from(PARTITIONS))
    count = draw(st.integers(0, 10))
    # consecutive from anywhere (across a power of ten too), or with a gap, a repeat, a step back
    first = draw(st.sampled_from([1, 7, 95, 998, 99_995, 10**18 - 3, 10**19 - 5]) | st.integers(1, 10**6))
    sequences = list(range(first, first + count))
    if sequences and draw(st.booleans()):
        at = draw(st.integers(0, len(sequences) - 1))
        sequences[at] += draw(st.sampled_from([1, -1, 2, 10]))
    sequences = [max(1, s) for s in sequences]
    # the writer's clock: whole seconds, microseconds, or a mix within the segment
    timing = draw(st.sampled_from(["whole", "micro", "mixed"]))
    payloads = []
    for index, sequence in enumerate(sequences):
        us = 0 if timing == "whole" else draw(st.integers(1, 999_999)) if timing == "micro" else draw(
            st.sampled_from([0, 1_000, 500_000]))
        payloads.append(draw(crafted_payload(partition, index, sequence, us)))
    return partition, b"".join(encode_frame(payload) for payload in payloads)


@settings(max_examples=250, deadline=None)
@given(segment=segments(), data=st.data())
def test_sequences_read_from_tails_are_what_the_pattern_read(segment, data) -> None:
    partition, raw = segment
    raw = damaged(data.draw, raw)
    tolerate = data.draw(st.booleans())
    scan = scan_frames_with_tails(raw, 1 << 20, tolerate_torn_tail=tolerate)
    expected = reading(lambda: reference_sequences(partition, raw, scan.frames))
    got = reading(lambda: SegmentRecords(partition, "s", raw, scan.frames, tails=scan.tails).sequences)
    assert got == expected


@settings(max_examples=60, deadline=None)
@given(count=st.integers(1, 30), first=st.sampled_from([1, 9, 90, 995, 10**6 - 10]),
       micro=st.booleans())
def test_a_writers_segment_is_read_from_its_tails(count: int, first: int, micro: bool) -> None:
    """The case the fast path is for: it answers (not the pattern), and answers right."""
    from omen.ledger.record_parse import consecutive_sequences

    written_at = DAY_1 + timedelta(microseconds=123_456 if micro else 0)
    raw = b"".join(
        encode_frame(LedgerRecord.payload_of(_EVENTS[i % len(_EVENTS)].with_ledger_metadata(
            partition=PARTITIONS[0], sequence=first + i, written_at=written_at)))
        for i in range(count))
    scan = scan_frames_with_tails(raw, 1 << 20, tolerate_torn_tail=False)
    assert scan.tails is not None
    assert consecutive_sequences(PARTITIONS[0], raw, len(raw), scan.tails) == list(range(first, first + count))
    assert SegmentRecords(PARTITIONS[0], "s", raw, scan.frames, tails=scan.tails).sequences == reference_sequences(
        PARTITIONS[0], raw, scan.frames)


def _check_tails(raw: bytes, frame_max_bytes: int, tolerate: bool) -> None:
    with_tails = scan_frames_with_tails(raw, frame_max_bytes, tolerate_torn_tail=tolerate)
    plain = scan_frames(raw, frame_max_bytes, tolerate_torn_tail=tolerate)
    assert with_tails == plain and plain.tails is None
    assert (with_tails.frames, with_tails.valid_bytes, with_tails.end, with_tails.reason, with_tails.checked_bytes) == (
        plain.frames, plain.valid_bytes, plain.end, plain.reason, plain.checked_bytes)
    if any(length < FRAME_TAIL_BYTES for _, length in plain.frames):
        assert with_tails.tails is None
    else:
        assert with_tails.tails == [raw[offset + 8 + length - FRAME_TAIL_BYTES : offset + 8 + length]
                                    for offset, length in plain.frames]


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_scan_frames_with_tails_says_what_scan_frames_says(data) -> None:
    payloads = data.draw(st.lists(st.binary(min_size=1, max_size=2 * FRAME_TAIL_BYTES), max_size=6))
    raw = damaged(data.draw, b"".join(encode_frame(payload) for payload in payloads))
    _check_tails(raw, data.draw(st.sampled_from([1, 64, FRAME_TAIL_BYTES, 1 << 20])), data.draw(st.booleans()))


@settings(max_examples=200, deadline=None)
@given(raw=st.binary(max_size=300), frame_max_bytes=st.sampled_from([1, 9, 1 << 20]), tolerate=st.booleans())
def test_scan_frames_with_tails_agrees_on_any_bytes_at_all(raw: bytes, frame_max_bytes: int, tolerate: bool) -> None:
    _check_tails(raw, frame_max_bytes, tolerate)


def test_a_record_read_from_tails_is_still_validated_against_its_bytes(root) -> None:
    """Through the reader: the tail-read sequences are the records' own, and `.record` still checks them."""
    from omen import FixedClock, LedgerWriter

    with LedgerWriter(root, clock=FixedClock(DAY_1)) as writer:
        writer.write_many(_EVENTS)
    records = list(LedgerReader(root, verified_bytes_max=0).scan_partition(PARTITIONS[0]))
    assert [record.sequence for record in records] == list(range(1, len(_EVENTS) + 1))
    assert [record.record.sequence for record in records] == [record.sequence for record in records]
    records = list(LedgerReader(root, verified_bytes_max=0).scan_partition(PARTITIONS[0]))  # none validated yet
    segment = records[0][0]
    segment.sequences[3] += 1  # as if the bytes had said another sequence: the cross-check refuses it
    try:
        _ = records[3].record
    except LedgerCorruptionError as error:
        assert "payload bytes say sequence" in str(error)
    else:
        raise AssertionError("a record whose read sequence disagrees with its parse was accepted")
