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
from dataclasses import dataclass, field

HEADER = struct.Struct(">II")
HEADER_BYTES = HEADER.size
FRAME_MAX_BYTES_DEFAULT = 1024 * 1024
# How many of a frame's last bytes `scan_frames_with_tails` hands to the record layer: the writer puts
# a record's sequence near its payload's end (see omen.ledger.record_parse), and 120 bytes hold it with
# the longest partition name of the writer's and the longest timestamp after it.
FRAME_TAIL_BYTES = 120

END_CLEAN = "clean"
END_TORN = "torn"
END_CORRUPT = "corrupt"


def encode_frame(payload: bytes) -> bytes:
    assert len(payload) > 0, "an empty payload cannot be framed: a zero header must never be valid"
    return HEADER.pack(len(payload), zlib.crc32(payload)) + payload


# The torn-tail rule asks whether a valid frame starts anywhere after a bad one. Checking every
# offset's CRC is quadratic in a crafted tail whose length fields all point inside it, so the CRC
# bytes spent on that search are bounded by this many times the tail's size: a tail that needs more
# holds far more frame-like headers than one torn append (a JSON payload, zeros, random garbage) can
# leave, and is corruption. Random garbage of one maximal frame costs about 43x on average.
TAIL_SEARCH_CRC_FACTOR = 64


@dataclass(frozen=True, slots=True)
class SegmentScan:
    """Where the valid frames of one segment are, and how its bytes end.

    `frames` holds (offset, payload_length) of every valid frame before `valid_bytes`.
    `end` is END_CLEAN (no bytes after the last valid frame), END_TORN (the bytes after
    `valid_bytes` are at most one frame and contain no valid frame: a crash's torn append),
    or END_CORRUPT (anything else). `reason` explains a non-clean end. `checked_bytes` counts the
    payload bytes whose CRC was computed: the scan's work, linear in the segment's size.
    """

    frames: tuple[tuple[int, int], ...]
    valid_bytes: int
    size_bytes: int
    end: str
    reason: str
    checked_bytes: int = 0
    # `scan_frames_with_tails` only: each frame's last FRAME_TAIL_BYTES bytes, or None when a frame
    # is shorter. Not part of the scan's answer (equal scans stay equal): a reading aid.
    tails: list[bytes] | None = field(default=None, compare=False, repr=False)


def frame_at(data: bytes, offset: int, frame_max_bytes: int) -> int | None:
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


@dataclass(frozen=True, slots=True)
class FrameSearch:
    """Result of looking for the next valid frame: its offset (None: none found), the CRC bytes
    spent, and whether the search stopped because its budget ran out (then nothing is known of
    the bytes after `stopped_at`)."""

    offset: int | None
    checked_bytes: int
    exhausted: bool
    stopped_at: int


def find_valid_frame(data: bytes, start: int, frame_max_bytes: int, crc_budget_bytes: int) -> FrameSearch:
    """The first offset >= `start` where a complete frame with a matching CRC begins.

    Linear: an offset costs a header read, and a CRC only when its length field is plausible and
    the frame fits; the CRC bytes are capped by `crc_budget_bytes`. When the limit is below 2**24
    a plausible length's first byte is 0, so offsets are visited by searching for zero bytes.
    """
    assert 0 <= start and frame_max_bytes > 0 and crc_budget_bytes >= 0
    size = len(data)
    view = memoryview(data)
    checked = 0
    skip_to_zero = frame_max_bytes < (1 << 24)
    offset = start
    for _ in range(size - start + 1):
        if offset + HEADER_BYTES > size:
            return FrameSearch(None, checked, False, size)
        if skip_to_zero and data[offset] != 0:
            offset = data.find(b"\x00", offset)
            if offset < 0:
                return FrameSearch(None, checked, False, size)
            continue
        length, crc = HEADER.unpack_from(data, offset)
        end = offset + HEADER_BYTES + length
        if 0 < length <= frame_max_bytes and end <= size:
            if checked + length > crc_budget_bytes:
                return FrameSearch(None, checked, True, offset)
            checked += length
            if zlib.crc32(view[offset + HEADER_BYTES : end]) == crc:
                return FrameSearch(offset, checked, False, offset)
        offset += 1
    raise AssertionError("find_valid_frame: loop bound exceeded")


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
    # frame_at, inlined: this loop is the reader's hot path (one iteration per record). It keeps to
    # the fewest steps per frame: the payload bytes checked are counted once at the end (they are
    # every valid frame's length), and the header bound is one comparison.
    unpack_from = HEADER.unpack_from
    crc32 = zlib.crc32
    append = frames.append
    header_bytes = HEADER_BYTES  # a local: read once per frame
    last_header_offset = size - header_bytes
    for _ in range(frame_count_max):
        if offset > last_header_offset:
            break
        length, crc = unpack_from(data, offset)
        start = offset + header_bytes
        end = start + length
        if not length or length > frame_max_bytes or end > size or crc32(data[start:end]) != crc:
            break  # (a bytes slice: for payloads of a few KiB it is cheaper than a memoryview's)
        append((offset, length))
        offset = end
    return _scanned(data, frames, offset, frame_max_bytes, tolerate_torn_tail, None)


def scan_frames_with_tails(data: bytes, frame_max_bytes: int, *, tolerate_torn_tail: bool) -> SegmentScan:
    """`scan_frames`, and each valid frame's last FRAME_TAIL_BYTES bytes in `tails` (None when a
    frame is shorter): the reader's first read, whose record layer reads sequences from them.

    WHY in the walk: a frame's tail is read by the same `unpack_from` that reads the next frame's
    header (they are adjacent), one bytes object per frame; a separate slice per frame costs more
    than the regex over the whole segment it replaces. Same signature and answer as `scan_frames`
    (a test holds them equal over any bytes), so a stand-in for `scan_frames` stays one for this.
    """
    assert frame_max_bytes > 0
    tail_bytes = FRAME_TAIL_BYTES
    size = len(data)
    frames: list[tuple[int, int]] = []
    tails: list[bytes] = []
    offset = 0
    frame_count_max = size // (HEADER_BYTES + 1) + 1
    unpack_from = HEADER.unpack_from
    unpack_tail_then_header = _TAIL_THEN_HEADER.unpack_from
    crc32 = zlib.crc32
    append = frames.append
    tail_append = tails.append
    header_bytes = HEADER_BYTES
    last_header_offset = size - header_bytes
    short_frames = 0
    if last_header_offset >= 0:
        length, crc = unpack_from(data, 0)  # each later header is read with the tail before it
    for _ in range(frame_count_max):
        if offset > last_header_offset:
            break
        start = offset + header_bytes
        end = start + length
        if not length or length > frame_max_bytes or end > size or crc32(data[start:end]) != crc:
            break
        append((offset, length))
        offset = end
        if length >= tail_bytes and end <= last_header_offset:
            tail, length, crc = unpack_tail_then_header(data, end - tail_bytes)
            tail_append(tail)
        else:  # the last frame, or a short one: its tail and the next header apart
            if length < tail_bytes:
                short_frames += 1  # (then no tails are handed on)
                tail_append(b"")
            else:
                tail_append(data[end - tail_bytes:end])
            if end <= last_header_offset:
                length, crc = unpack_from(data, end)
    assert len(tails) == len(frames), "one tail per frame"
    return _scanned(data, frames, offset, frame_max_bytes, tolerate_torn_tail, None if short_frames else tails)


_TAIL_THEN_HEADER = struct.Struct(f">{FRAME_TAIL_BYTES}sII")
assert _TAIL_THEN_HEADER.size == FRAME_TAIL_BYTES + HEADER_BYTES


def _scanned(data: bytes, frame_list: list[tuple[int, int]], offset: int, frame_max_bytes: int,
             tolerate_torn_tail: bool, tails: list[bytes] | None) -> SegmentScan:
    """The scan of `data` whose valid frames `frame_list` end at `offset`: how its bytes end."""
    size = len(data)
    frames = tuple(frame_list)
    checked = offset - HEADER_BYTES * len(frames)  # the payload bytes whose CRC was computed
    if offset == size:
        return SegmentScan(frames, offset, size, END_CLEAN, "", checked, tails)
    assert offset < size, "the loop bound covers every possible frame"
    reason = _why_bad(data, offset, frame_max_bytes)
    if not tolerate_torn_tail:
        return SegmentScan(frames, offset, size, END_CORRUPT, reason + " in a sealed segment", checked, tails)
    tail_bytes = size - offset
    if tail_bytes > HEADER_BYTES + frame_max_bytes:
        return SegmentScan(
            frames, offset, size, END_CORRUPT,
            f"{reason}, followed by {tail_bytes} bytes: more than one torn frame can leave", checked, tails,
        )
    search = find_valid_frame(data, offset + 1, frame_max_bytes, TAIL_SEARCH_CRC_FACTOR * tail_bytes)
    checked += search.checked_bytes
    if search.exhausted:
        return SegmentScan(
            frames, offset, size, END_CORRUPT,
            f"{reason}, followed by a tail of {tail_bytes} bytes holding more frame-like headers than "
            "one torn append can leave", checked, tails,
        )
    if search.offset is not None:
        return SegmentScan(
            frames, offset, size, END_CORRUPT,
            f"{reason}, followed by a valid frame at byte {search.offset}", checked, tails,
        )
    return SegmentScan(frames, offset, size, END_TORN, reason, checked, tails)


__all__ = [
    "END_CLEAN",
    "END_CORRUPT",
    "END_TORN",
    "FRAME_MAX_BYTES_DEFAULT",
    "FRAME_TAIL_BYTES",
    "HEADER",
    "HEADER_BYTES",
    "FrameSearch",
    "SegmentScan",
    "TAIL_SEARCH_CRC_FACTOR",
    "encode_frame",
    "find_valid_frame",
    "frame_at",
    "scan_frames",
    "scan_frames_with_tails",
]
