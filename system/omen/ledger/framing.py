"""Frame layout and the segment scan shared by the writer's recovery and the reader.

A frame is `[u32 BE payload length][u32 BE CRC32 of payload][payload]`. A segment is frames back
to back, nothing else. `scan_frames` walks a segment's bytes and says where the valid frames are
and how the bytes end: cleanly, with a torn tail (what a crash mid-append leaves), or with
corruption (anything a crash cannot explain). The rules follow RocksDB's
tolerate-corrupted-tail-records mode; docs/ledger-format.md states them for users.
"""
from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

HEADER = struct.Struct(">II")
HEADER_BYTES = HEADER.size
FRAME_MAX_BYTES_DEFAULT = 1024 * 1024

END_CLEAN = "clean"
END_TORN = "torn"
END_CORRUPT = "corrupt"


def encode_frame(payload: bytes) -> bytes:
    assert len(payload) > 0, "an empty payload cannot be framed: a zero header must never be valid"
    return HEADER.pack(len(payload), zlib.crc32(payload)) + payload


@dataclass(frozen=True, slots=True)
class SegmentScan:
    """Where the valid frames of one segment are, and how its bytes end.

    `frames` holds (offset, payload_length) of every valid frame before `valid_bytes`.
    `end` is END_CLEAN (no bytes after the last valid frame), END_TORN (the bytes after
    `valid_bytes` are at most one frame and contain no valid frame: a crash's torn append),
    or END_CORRUPT (anything else). `reason` explains a non-clean end.
    """

    frames: tuple[tuple[int, int], ...]
    valid_bytes: int
    size_bytes: int
    end: str
    reason: str


def _frame_at(data: bytes, offset: int, frame_max_bytes: int) -> int | None:
    """Payload length of a complete valid frame at `offset`, or None."""
    size = len(data)
    if offset + HEADER_BYTES > size:
        return None
    length, crc = HEADER.unpack_from(data, offset)
    if length == 0 or length > frame_max_bytes:
        return None
    end = offset + HEADER_BYTES + length
    if end > size:
        return None
    if zlib.crc32(memoryview(data)[offset + HEADER_BYTES : end]) != crc:
        return None
    return length


def _why_bad(data: bytes, offset: int, frame_max_bytes: int) -> str:
    size = len(data)
    if offset + HEADER_BYTES > size:
        return f"incomplete header ({size - offset} of {HEADER_BYTES} bytes)"
    length, _ = HEADER.unpack_from(data, offset)
    if length == 0:
        return "frame length 0"
    if length > frame_max_bytes:
        return f"frame length {length} above the limit {frame_max_bytes}"
    if offset + HEADER_BYTES + length > size:
        return f"incomplete frame (needs {length} payload bytes, {size - offset - HEADER_BYTES} present)"
    return "CRC mismatch"


def scan_frames(data: bytes, frame_max_bytes: int, *, tolerate_torn_tail: bool) -> SegmentScan:
    """Walk `data` frame by frame; classify how it ends.

    A bad frame at offset o is a torn tail only when the remaining bytes could be one
    interrupted append: they fit in one maximal frame and no valid frame starts anywhere in
    them. The writer fsyncs after every frame, so a crash leaves at most one unsynced frame.
    """
    assert frame_max_bytes > 0
    size = len(data)
    frames: list[tuple[int, int]] = []
    offset = 0
    frame_count_max = size // (HEADER_BYTES + 1) + 1
    for _ in range(frame_count_max):
        if offset == size:
            return SegmentScan(tuple(frames), offset, size, END_CLEAN, "")
        length = _frame_at(data, offset, frame_max_bytes)
        if length is None:
            break
        frames.append((offset, length))
        offset += HEADER_BYTES + length
    assert offset < size, "the loop bound covers every possible frame"
    reason = _why_bad(data, offset, frame_max_bytes)
    if not tolerate_torn_tail:
        return SegmentScan(tuple(frames), offset, size, END_CORRUPT, reason + " in a sealed segment")
    tail_bytes = size - offset
    if tail_bytes > HEADER_BYTES + frame_max_bytes:
        return SegmentScan(
            tuple(frames), offset, size, END_CORRUPT,
            f"{reason}, followed by {tail_bytes} bytes: more than one torn frame can leave",
        )
    for later in range(offset + 1, size - HEADER_BYTES):
        if _frame_at(data, later, frame_max_bytes) is not None:
            return SegmentScan(
                tuple(frames), offset, size, END_CORRUPT,
                f"{reason}, followed by a valid frame at byte {later}",
            )
    return SegmentScan(tuple(frames), offset, size, END_TORN, reason)


__all__ = [
    "END_CLEAN",
    "END_CORRUPT",
    "END_TORN",
    "FRAME_MAX_BYTES_DEFAULT",
    "HEADER",
    "HEADER_BYTES",
    "SegmentScan",
    "encode_frame",
    "scan_frames",
]
