"""The facts the checkers stand on: what the world observes itself, independent of the system."""
from __future__ import annotations

import os
import random
import struct
import zlib

from scenarios.observers import DurableLedgerIndex, SimDiskView
from scenarios.ledger_oracle import BytesMemo, parse_ledger, parse_segment, valid_frame_index, valid_frame_signal_ids
from scenarios.observers.requests import describe_body
from sim.disk import SimDisk


def frame(signal_id: str, sequence: int) -> bytes:
    payload = ('{"schema_version":1,"event":{"signal_id":"%s","ledger_sequence":%d}}' % (signal_id, sequence)).encode()
    return struct.pack(">II", len(payload), zlib.crc32(payload)) + payload


def fsync_dir(disk: SimDisk, path: str) -> None:
    fd = disk.open(path, os.O_RDONLY)
    disk.fsync(fd)
    disk.close(fd)


def test_a_request_body_is_described_by_its_signal_and_partition_whatever_the_json_spacing() -> None:
    assert describe_body(b'{"signal_id":"S1","ledger_partition":"2026-01-01"}') == {
        "signal_id": "S1", "partition": "2026-01-01"}
    assert describe_body(b'{"signal_id" : "S1"}')["signal_id"] == "S1"
    assert describe_body(b"not json at all") == {"signal_id": None, "partition": None}


def test_the_oracle_stops_at_the_first_frame_whose_crc_fails() -> None:
    good = frame("A", 1) + frame("B", 2)
    rotten = bytearray(frame("C", 3))
    rotten[-3] ^= 0x01
    data = good + bytes(rotten) + frame("D", 4)
    segment = parse_segment("2026-01-01", "segment-000001.log", data)
    assert [r.signal_id for r in segment.records] == ["A", "B"]
    assert not segment.clean and segment.valid_bytes == len(good)
    assert valid_frame_signal_ids(data) == (["A", "B"], len(good))


def test_the_oracle_reads_a_payload_as_utf8_only_as_the_ledger_format_says() -> None:
    text = '{"schema_version":1,"event":{"signal_id":"S1","ledger_sequence":1}}'
    for encoded in (text.encode("utf-16"), b"\xef\xbb\xbf" + text.encode()):  # valid JSON to json.loads(bytes)
        data = struct.pack(">II", len(encoded), zlib.crc32(encoded)) + encoded
        assert parse_segment("p", "segment-000001.log", data).records == []
    assert [r.signal_id for r in parse_segment("p", "segment-000001.log", frame("S1", 1)).records] == ["S1"]


def test_the_oracle_memo_parses_the_same_bytes_once_and_any_other_bytes_again() -> None:
    root, day = "/ledger", "2026-01-01"
    sealed, tail = frame("A", 1) + frame("B", 2), frame("C", 3)
    rotten = bytearray(tail)
    rotten[-2] ^= 0x04
    memo = BytesMemo()
    first = parse_ledger({f"{root}/{day}/segment-000001.log": sealed, f"{root}/{day}/segment-000002.log": tail},
                         root, memo=memo)
    second = parse_ledger({f"{root}/{day}/segment-000001.log": bytes(sealed),
                           f"{root}/{day}/segment-000002.log": bytes(rotten)}, root, memo=memo)
    assert second[day].segments[0] is first[day].segments[0], "equal bytes: the parse is shared"
    assert [r.signal_id for r in first[day].records] == ["A", "B", "C"]
    assert [r.signal_id for r in second[day].records] == ["A", "B"], "a flipped bit is parsed again"
    assert second == parse_ledger({f"{root}/{day}/segment-000001.log": sealed,
                                   f"{root}/{day}/segment-000002.log": bytes(rotten)}, root)


def test_the_bytes_memo_answers_as_the_computation_on_the_bytes_it_is_given() -> None:
    path = "/ledger/2026-01-01/segment-000001.log"
    data = frame("A", 1) + frame("B", 2)
    memo = BytesMemo(bytes_max=len(data) * 2)
    index = lambda given: valid_frame_index(given)[0]  # noqa: E731
    first = memo.get(path, data, index)
    assert first == valid_frame_index(data)[0] == [("A", 1), ("B", 2)]
    assert memo.get(path, bytes(data), index) is first, "equal bytes: the index is reused"
    rotten = bytearray(data)
    rotten[-2] ^= 0x01
    assert memo.get(path, bytes(rotten), index) == [("A", 1)], "a flipped bit is indexed again"
    grown = data + frame("C", 3)
    assert memo.get(path, grown, index) == [("A", 1), ("B", 2), ("C", 3)]
    huge = grown * 3  # more than the memo may hold: answered, not kept
    assert memo.get("/ledger/2026-01-01/segment-000002.log", huge, index) == valid_frame_index(huge)[0]


def test_a_record_is_durable_only_once_its_data_and_every_entry_on_its_path_are_fsynced() -> None:
    disk = SimDisk(random.Random(0))
    index = DurableLedgerIndex(SimDiskView(disk, durable=True), "/ledger")
    disk.makedirs("/ledger/2026-01-01")
    fd = disk.open("/ledger/2026-01-01/segment-000001.log", os.O_WRONLY | os.O_CREAT, 0o644)
    disk.write(fd, frame("A", 1))
    assert not index.contains("2026-01-01", "A"), "written, nothing fsynced"
    disk.fsync(fd)
    assert not index.contains("2026-01-01", "A"), "data fsynced, directory entries not"
    fsync_dir(disk, "/")
    fsync_dir(disk, "/ledger")
    fsync_dir(disk, "/ledger/2026-01-01")
    assert index.contains("2026-01-01", "A")
    disk.write(fd, frame("B", 2))
    assert not index.contains("2026-01-01", "B"), "appended, not fsynced"
    disk.fsync(fd)
    assert index.contains("2026-01-01", "B") and index.contains("2026-01-01", "A")
    assert not index.contains("2026-01-01", "C") and not index.contains("2026-01-02", "A")


def test_the_reconcilers_view_of_the_omen_disk_reads_without_faults_and_refuses_writes() -> None:
    import pytest

    from scenarios.shared_volume import SharedVolume

    class AlwaysEio:
        def decide(self, op: str, path: str, nbytes: int):  # noqa: ANN201
            from sim.disk import DiskFault

            return DiskFault("read_eio") if op == "read" else None

    disk = SimDisk(random.Random(0))
    fd = disk.open("/f", os.O_WRONLY | os.O_CREAT, 0o644)
    disk.write(fd, b"ledger bytes")
    disk.close(fd)
    disk.fault_hook = AlwaysEio()
    volume = SharedVolume(disk)
    fd = volume.open("/f", os.O_RDONLY)
    assert volume.read(fd, 100) == b"ledger bytes", "OMEN's faults are not the reconciler's"
    volume.close(fd)
    assert isinstance(disk.fault_hook, AlwaysEio), "the hook is back after each call"
    with pytest.raises(PermissionError):
        volume.open("/f", os.O_WRONLY)
    with pytest.raises(PermissionError):
        volume.unlink("/f")
