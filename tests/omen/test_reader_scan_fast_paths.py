"""Specification of the reader scan's fast paths: the same answers, the same errors, only cheaper.

Two paths were made cheaper for the reader's first read (`scan_partition`):
- `scan_frames` walks a segment in fewer steps per frame. It must say exactly what the walk it
  replaced said (kept below, verbatim, as the reference) for any bytes: every frame, the end, the
  reason, the CRC bytes counted.
- `scan_partition` makes its records in C (a chain of starmaps) instead of resuming a generator
  per record. It must yield exactly the records `segment.records()` lists for each checked
  segment, and raise the same error (type and message) after the same records.
"""
from __future__ import annotations

import itertools
import os
import shutil
import struct
import zlib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from omen import FixedClock, LedgerCorruptionError, LedgerReader, LedgerWriter
from omen.ledger.framing import (
    END_CLEAN, END_CORRUPT, END_TORN, HEADER, HEADER_BYTES, TAIL_SEARCH_CRC_FACTOR, SegmentScan, _why_bad,
    encode_frame, find_valid_frame, scan_frames,
)
from omen.ledger.record_parse import ScannedRecord
from tests.omen.damage import PARTITION
from tests.omen.ledger_helpers import DAY_1, make_event


def reference_scan_frames(data: bytes, frame_max_bytes: int, *, tolerate_torn_tail: bool) -> SegmentScan:
    """`scan_frames` as it was before its loop was trimmed (the fifth round's code, verbatim)."""
    assert frame_max_bytes > 0
    size = len(data)
    frames: list[tuple[int, int]] = []
    offset = 0
    checked = 0
    frame_count_max = size // (HEADER_BYTES + 1) + 1
    unpack_from = HEADER.unpack_from
    crc32 = zlib.crc32
    append = frames.append
    for _ in range(frame_count_max):
        if offset == size:
            return SegmentScan(tuple(frames), offset, size, END_CLEAN, "", checked)
        if offset + HEADER_BYTES > size:
            break
        length, crc = unpack_from(data, offset)
        end = offset + HEADER_BYTES + length
        if length == 0 or length > frame_max_bytes or end > size or crc32(data[offset + HEADER_BYTES : end]) != crc:
            break
        append((offset, length))
        offset = end
        checked += length
    assert offset < size, "the loop bound covers every possible frame"
    reason = _why_bad(data, offset, frame_max_bytes)
    if not tolerate_torn_tail:
        return SegmentScan(tuple(frames), offset, size, END_CORRUPT, reason + " in a sealed segment", checked)
    tail_bytes = size - offset
    if tail_bytes > HEADER_BYTES + frame_max_bytes:
        return SegmentScan(
            tuple(frames), offset, size, END_CORRUPT,
            f"{reason}, followed by {tail_bytes} bytes: more than one torn frame can leave", checked,
        )
    search = find_valid_frame(data, offset + 1, frame_max_bytes, TAIL_SEARCH_CRC_FACTOR * tail_bytes)
    checked += search.checked_bytes
    if search.exhausted:
        return SegmentScan(
            tuple(frames), offset, size, END_CORRUPT,
            f"{reason}, followed by a tail of {tail_bytes} bytes holding more frame-like headers than "
            "one torn append can leave", checked,
        )
    if search.offset is not None:
        return SegmentScan(
            tuple(frames), offset, size, END_CORRUPT,
            f"{reason}, followed by a valid frame at byte {search.offset}", checked,
        )
    return SegmentScan(tuple(frames), offset, size, END_TORN, reason, checked)


def damaged(draw, data: bytes) -> bytes:  # noqa: ANN001
    """`data` with one kind of damage a disk or a crash can leave, or a crafted one."""
    kind = draw(st.sampled_from(["none", "flip", "cut", "garbage", "zero_header", "huge_length", "bad_crc", "frame"]))
    raw = bytearray(data)
    if kind == "flip" and raw:
        raw[draw(st.integers(0, len(raw) - 1))] ^= 1 << draw(st.integers(0, 7))
    elif kind == "cut" and raw:
        del raw[draw(st.integers(0, len(raw) - 1)):]
    elif kind == "garbage":
        raw += draw(st.binary(min_size=1, max_size=40))
    elif kind == "zero_header":
        raw += bytes(draw(st.integers(1, 2 * HEADER_BYTES)))
    elif kind == "huge_length":
        raw += struct.pack(">II", draw(st.integers(1 << 20, (1 << 32) - 1)), 0) + b"x" * draw(st.integers(0, 9))
    elif kind == "bad_crc":
        payload = draw(st.binary(min_size=1, max_size=30))
        raw += struct.pack(">II", len(payload), (zlib.crc32(payload) + 1) & 0xFFFFFFFF) + payload
    elif kind == "frame":  # a valid frame after a torn one: corruption, not a torn tail
        raw += b"\x00\x00\x00\x05ab" + encode_frame(draw(st.binary(min_size=1, max_size=20)))
    return bytes(raw)


@settings(max_examples=500, deadline=None)
@given(data=st.data())
def test_scan_frames_says_what_the_walk_it_replaced_said(data) -> None:
    payloads = data.draw(st.lists(st.binary(min_size=1, max_size=60), max_size=8))
    segment = damaged(data.draw, b"".join(encode_frame(payload) for payload in payloads))
    frame_max_bytes = data.draw(st.sampled_from([1, 7, 32, 64, 1 << 20]))
    tolerate = data.draw(st.booleans())
    assert scan_frames(segment, frame_max_bytes, tolerate_torn_tail=tolerate) == reference_scan_frames(
        segment, frame_max_bytes, tolerate_torn_tail=tolerate)


@settings(max_examples=300, deadline=None)
@given(segment=st.binary(max_size=80), frame_max_bytes=st.sampled_from([1, 9, 64, 1 << 20]), tolerate=st.booleans())
def test_scan_frames_agrees_on_any_bytes_at_all(segment: bytes, frame_max_bytes: int, tolerate: bool) -> None:
    assert scan_frames(segment, frame_max_bytes, tolerate_torn_tail=tolerate) == reference_scan_frames(
        segment, frame_max_bytes, tolerate_torn_tail=tolerate)


def reference_scan_partition(reader: LedgerReader, partition: str):  # noqa: ANN201
    """`scan_partition` as it was: a generator over the checked segments' record lists."""
    for segment in reader._checked_segments(partition):
        yield from segment.records()


def outcome(records) -> tuple[list[tuple[str, int, int, int]], str | None]:  # noqa: ANN001
    """What a read yields, record by record (segment, index, offset, sequence), then how it ends."""
    seen: list[tuple[str, int, int, int]] = []
    try:
        for record in records:
            assert type(record) is ScannedRecord
            seen.append((record.segment, record[1], record.offset_bytes, record.sequence))
    except LedgerCorruptionError as error:
        return seen, f"{type(error).__name__}: {error}"
    return seen, None


_COPIES = itertools.count()
_WRITTEN: dict[tuple[int, int, bool], Path] = {}


def written_ledger(base: Path, records: int, per_segment: int, seal: bool) -> Path:
    """A ledger of `records` records in segments of `per_segment`, written once per shape and copied."""
    key = (records, per_segment, seal)
    if key not in _WRITTEN:
        root = base / f"written-{records}-{per_segment}-{seal}"
        writer = LedgerWriter(str(root), clock=FixedClock(DAY_1), segment_max_records=per_segment)
        for index in range(records):
            writer.write(make_event(index))
        if seal:
            writer.seal_partition(PARTITION)
        writer.close()
        _WRITTEN[key] = root
    return _WRITTEN[key]


@pytest.fixture(scope="module")
def written_base(tmp_path_factory) -> Path:
    _WRITTEN.clear()
    return tmp_path_factory.mktemp("written")


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_scan_partition_yields_and_raises_what_the_generator_did(data, written_base, tmp_path) -> None:
    records = data.draw(st.integers(0, 7))
    per_segment = data.draw(st.integers(1, 4))
    seal = data.draw(st.booleans())
    source = written_ledger(written_base, records, per_segment, seal)
    root = tmp_path / f"copy-{next(_COPIES)}"
    if source.exists():  # a writer that wrote nothing made no root
        shutil.copytree(source, root)
    segments = sorted(Path(root, PARTITION).glob("segment-*.log")) if Path(root, PARTITION).exists() else []
    if segments:  # damage one segment's bytes (its mode kept), or none
        path = data.draw(st.sampled_from(segments))
        mode = path.stat().st_mode & 0o777
        os.chmod(path, 0o644)
        path.write_bytes(damaged(data.draw, path.read_bytes()))
        os.chmod(path, mode)
    fast = outcome(LedgerReader(str(root), verified_bytes_max=0).scan_partition(PARTITION))
    assert fast == outcome(reference_scan_partition(LedgerReader(str(root), verified_bytes_max=0), PARTITION))
    # and through the memo of verified segments, read twice
    memo = LedgerReader(str(root))
    first = outcome(memo.scan_partition(PARTITION))
    assert first == fast and outcome(memo.scan_partition(PARTITION)) == fast


def test_scan_partition_checks_nothing_before_it_is_iterated_and_names_a_bad_partition_then(root) -> None:
    records = LedgerReader(root).scan_partition("not-a-partition")  # as a generator: no work yet
    with pytest.raises(ValueError):
        next(iter(records))
