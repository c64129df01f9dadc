"""An independent reading of the ledger's bytes, for the checkers.

Checkers never trust the system's report of itself, so they do not read the ledger
through `LedgerReader` (a planted bug may live there). This module parses the frame
format of `docs/ledger-format.md` on its own: `[u32 length][u32 crc32][payload]`,
big-endian, payload JSON. A frame that fails its CRC or its JSON ends the segment's
valid prefix; everything after it is counted as unreadable, never yielded.
"""
from __future__ import annotations

import json
import posixpath
import struct
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field

FRAME_HEADER = struct.Struct(">II")
FRAME_MAX_BYTES = 16 * 1024 * 1024


@dataclass(frozen=True)
class OracleRecord:
    partition: str
    segment: str
    offset_bytes: int
    signal_id: str
    sequence: int
    event: dict


@dataclass
class OracleSegment:
    name: str
    size_bytes: int
    valid_bytes: int
    records: list[OracleRecord] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return self.valid_bytes == self.size_bytes


@dataclass
class OraclePartition:
    name: str
    segments: list[OracleSegment] = field(default_factory=list)

    @property
    def records(self) -> list[OracleRecord]:
        return [record for segment in self.segments for record in segment.records]


def parse_segment(partition: str, name: str, data: bytes) -> OracleSegment:
    segment = OracleSegment(name=name, size_bytes=len(data), valid_bytes=0)
    offset = 0
    header_size = FRAME_HEADER.size
    frames_max = len(data) // header_size + 1
    for _ in range(frames_max):
        if offset + header_size > len(data):
            break
        length, crc = FRAME_HEADER.unpack_from(data, offset)
        if length == 0 or length > FRAME_MAX_BYTES or offset + header_size + length > len(data):
            break
        payload = data[offset + header_size : offset + header_size + length]
        if zlib.crc32(payload) != crc:
            break
        try:
            document = json.loads(payload)
            event = document["event"]
            record = OracleRecord(
                partition=partition,
                segment=name,
                offset_bytes=offset,
                signal_id=str(event["signal_id"]),
                sequence=int(event["ledger_sequence"]),
                event=event,
            )
        except (ValueError, KeyError, TypeError):
            break
        segment.records.append(record)
        offset += header_size + length
        segment.valid_bytes = offset
    return segment


SIGNAL_ID_KEY = b'"signal_id":"'


def valid_frame_signal_ids(data: bytes) -> tuple[list[str], int]:
    """(signal ids of the CRC-valid frame prefix, bytes it covers), without parsing JSON.

    The cheap path for "is this signal durable?", asked at every request: a frame counts
    only if its CRC holds, and the id is read from the payload's `"signal_id":"..."`.
    """
    ids: list[str] = []
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
        start = payload.find(SIGNAL_ID_KEY)
        if start < 0:
            break
        start += len(SIGNAL_ID_KEY)
        ids.append(payload[start:payload.index(b'"', start)].decode())
        offset = end
    return ids, offset


def parse_ledger(files: Mapping[str, bytes], root: str) -> dict[str, OraclePartition]:
    """Partitions (sorted) of the ledger under `root` found in a path -> bytes mapping."""
    root = root.rstrip("/")
    partitions: dict[str, OraclePartition] = {}
    for path in sorted(files):
        if posixpath.dirname(posixpath.dirname(path)) != root:
            continue
        partition = posixpath.basename(posixpath.dirname(path))
        name = posixpath.basename(path)
        if not (name.startswith("segment-") and name.endswith(".log")):
            continue
        entry = partitions.setdefault(partition, OraclePartition(partition))
        entry.segments.append(parse_segment(partition, name, files[path]))
    return dict(sorted(partitions.items()))


def signal_ids(partitions: Mapping[str, OraclePartition]) -> set[str]:
    return {record.signal_id for partition in partitions.values() for record in partition.records}
