"""An append-only log of length+CRC frames, a reader, and the recovery that truncates a torn tail.

Each record is one frame: `<payload length u32><crc32 u32><payload>`, appended and fsynced
before it is acknowledged. The CRC covers the length field too: crc32(b"") is 0, so a CRC of
the payload alone accepts a run of zeros (a torn tail filled with zeros) as empty records;
crashcheck found exactly that in the first draft of this example. After a crash the tail may hold a torn frame (a cut at a sector
boundary, zeros, garbage): recovery finds the last whole frame, truncates after it, and then
appends a marker, as a log reopened for writing does with its next record.

The promise (`check`): the code's own reader yields the records in the order written, every
acknowledged one included, nothing that was never written, then the marker; and the file is
whole frames to its end, so the next append is readable.

Variants, each with one classic bug: `trusts_length` (reader never checks the CRC),
`continues_after_crc_mismatch` (reader skips a bad frame and reads on), `appends_after_torn_tail`
(recovery finds the torn tail but does not truncate it).
"""
from __future__ import annotations

import os
import struct
import zlib

from sim.crashcheck import ack

HEADER = struct.Struct("<II")  # payload length, crc32 of (length, payload)
LOG_NAME = "log.bin"
# 600-byte records: frames cross 512-byte sectors, so a crash can tear one inside
RECORDS = tuple(f"record-{index:03d}|".encode() * 50 for index in range(4))
MARKER = b"reopened"
FRAMES_MAX = 1_000_000


def fsync_dir(path: str) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def frame_crc(payload: bytes) -> int:
    return zlib.crc32(payload, zlib.crc32(struct.pack("<I", len(payload))))


class AppendLog:
    """The correct log."""

    def scan(self, data: bytes) -> tuple[list[bytes], int]:
        """(records, end of the last whole frame): stops at the first frame that does not check."""
        records: list[bytes] = []
        pos = 0
        for _ in range(FRAMES_MAX):
            if pos + HEADER.size > len(data):
                break
            length, crc = HEADER.unpack_from(data, pos)
            end = pos + HEADER.size + length
            if end > len(data):
                break
            payload = data[pos + HEADER.size:end]
            if frame_crc(payload) != crc:
                break
            records.append(payload)
            pos = end
        return records, pos

    def append(self, path: str, payload: bytes) -> None:
        with open(path, "ab") as f:
            f.write(HEADER.pack(len(payload), frame_crc(payload)) + payload)
            f.flush()
            os.fsync(f.fileno())

    def read(self, root: str) -> list[bytes]:
        with open(os.path.join(root, LOG_NAME), "rb") as f:
            return self.scan(f.read())[0]

    def workload(self, root: str) -> None:
        path = os.path.join(root, LOG_NAME)
        open(path, "ab").close()
        fsync_dir(root)
        for payload in RECORDS:
            self.append(path, payload)
            ack("record", payload[:10].decode())

    def truncate_torn_tail(self, path: str, valid_end: int, size: int) -> None:
        if valid_end < size:
            with open(path, "r+b") as f:
                f.truncate(valid_end)
                f.flush()
                os.fsync(f.fileno())

    def recover(self, root: str) -> None:
        path = os.path.join(root, LOG_NAME)
        if not os.path.exists(path):
            open(path, "ab").close()
            fsync_dir(root)
        with open(path, "rb") as f:
            data = f.read()
        _, valid_end = self.scan(data)
        self.truncate_torn_tail(path, valid_end, len(data))
        self.append(path, MARKER)

    def check(self, root: str, acked: list[tuple[str, str]]) -> None:
        records = self.read(root)
        assert records and records[-1] == MARKER, "the record appended after recovery is not readable"
        body = records[:-1]
        assert body == list(RECORDS[:len(body)]), f"the reader yields records that were never written: {body!r:.120}"
        assert len(body) >= len(acked), f"{len(acked)} records acknowledged, {len(body)} survive"
        with open(os.path.join(root, LOG_NAME), "rb") as f:
            data = f.read()
        assert AppendLog.scan(self, data)[1] == len(data), "the log holds bytes that are not whole frames"


class TrustsLength(AppendLog):
    """BUG: the reader trusts the length field and never checks the CRC."""

    def scan(self, data: bytes) -> tuple[list[bytes], int]:
        records: list[bytes] = []
        pos = 0
        for _ in range(FRAMES_MAX):
            if pos + HEADER.size > len(data):
                break
            length, _crc = HEADER.unpack_from(data, pos)
            end = pos + HEADER.size + length
            if end > len(data):
                break
            records.append(data[pos + HEADER.size:end])
            pos = end
        return records, pos


class ContinuesAfterCrcMismatch(AppendLog):
    """BUG: on a CRC mismatch the reader skips the frame and reads on."""

    def scan(self, data: bytes) -> tuple[list[bytes], int]:
        records: list[bytes] = []
        pos = 0
        for _ in range(FRAMES_MAX):
            if pos + HEADER.size > len(data):
                break
            length, crc = HEADER.unpack_from(data, pos)
            end = pos + HEADER.size + length
            if end > len(data):
                break
            payload = data[pos + HEADER.size:end]
            if frame_crc(payload) == crc:
                records.append(payload)
            pos = end
        return records, pos


class AppendsAfterTornTail(AppendLog):
    """BUG: recovery finds the torn tail, but the next append goes after it."""

    def truncate_torn_tail(self, path: str, valid_end: int, size: int) -> None:
        return None


correct = AppendLog()
trusts_length = TrustsLength()
continues_after_crc_mismatch = ContinuesAfterCrcMismatch()
appends_after_torn_tail = AppendsAfterTornTail()
workload, recover, check = correct.workload, correct.recover, correct.check
