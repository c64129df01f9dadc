"""Ways to damage a real ledger on disk, for the hardening specs and the fuzz suite."""
from __future__ import annotations

import os
import zlib
from pathlib import Path

from omen import LedgerWriter
from omen.ledger.framing import HEADER, HEADER_BYTES, encode_frame

from tests.omen.ledger_helpers import make_event

PARTITION = "2026-03-01"


def sealed_ledger(root: str, clock, *, records: int = 6, per_segment: int = 3, seal: bool = True) -> list:
    writer = LedgerWriter(root, clock=clock, segment_max_records=per_segment)
    placed = [writer.write(make_event(i)) for i in range(records)]
    if seal:
        writer.seal_partition(PARTITION)
    writer.close()
    return placed


def segment_path(root: str, index: int = 1, partition: str = PARTITION) -> Path:
    return Path(root, partition, f"segment-{index:06d}.log")


def frames_of(data: bytes) -> list[tuple[int, bytes]]:
    """(offset, payload) of every frame of a clean segment."""
    found = []
    offset = 0
    while offset < len(data):
        length, _ = HEADER.unpack_from(data, offset)
        found.append((offset, data[offset + HEADER_BYTES : offset + HEADER_BYTES + length]))
        offset += HEADER_BYTES + length
    return found


def rewrite(path: Path, data: bytes) -> None:
    """Replace a (possibly read-only) file's bytes, keeping its mode."""
    mode = path.stat().st_mode & 0o777
    os.chmod(path, 0o644)
    path.write_bytes(data)
    os.chmod(path, mode)


def edit_payload(path: Path, index: int, old: bytes, new: bytes) -> None:
    """Edit frame `index`'s payload and recompute its CRC: damage no checksum can see."""
    frames = frames_of(path.read_bytes())
    payloads = [payload for _, payload in frames]
    assert old in payloads[index], (old, payloads[index])
    payloads[index] = payloads[index].replace(old, new, 1)
    rewrite(path, b"".join(encode_frame(payload) for payload in payloads))


def flip_bit(path: Path, offset: int, bit: int = 0) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 1 << bit
    rewrite(path, bytes(data))


def crc_ok(payload: bytes, crc: int) -> bool:
    return zlib.crc32(payload) == crc
