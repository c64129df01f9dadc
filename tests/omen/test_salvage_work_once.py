"""Specification of what salvage spares itself: it judges a clean run of frames at once, and parses
a payload it kept before (the same bytes at the same offset) only once, yet answers exactly as the
frame-by-frame walk does and still validates every record it keeps.
"""
from __future__ import annotations

import json
from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import omen.ledger.record_parse as record_parse_module
import omen.ledger.salvage as salvage_module
from omen import LedgerReader, LedgerWriter
from omen.ledger.framing import FRAME_MAX_BYTES_DEFAULT, HEADER_BYTES, encode_frame, scan_frames
from omen.ledger.record_parse import SegmentRecords, frames_read_alone_alike
from omen.schema import LedgerRecord
from tests.omen.damage import PARTITION, edit_payload, flip_bit, frames_of, sealed_ledger, segment_path
from tests.omen.ledger_helpers import DAY_1, make_event


def payload_of(index: int, sequence: int, shape: str = "writer") -> bytes:
    """A frame payload of PARTITION: as the writer writes it, or CRC-valid but of another shape."""
    placed = make_event(index).with_ledger_metadata(partition=PARTITION, sequence=sequence,
                                                    written_at=DAY_1 + timedelta(seconds=index))
    payload = LedgerRecord.payload_of(placed)
    record = json.loads(payload)
    if shape == "reordered":  # strictly valid, but its fields are not where the writer puts them
        record["event"] = dict(reversed(list(record["event"].items())))
        return json.dumps({"event": record["event"], "schema_version": record["schema_version"]},
                          separators=(",", ":")).encode()
    if shape == "decoy":  # strictly valid, and its payload holds the ledger fields a second time
        record["event"]["payload"] = {"ledger_partition": PARTITION, "ledger_sequence": sequence + 7,
                                      "ledger_written_at": "x", "signal_id": "decoy"}
        return json.dumps(record, separators=(",", ":")).encode()
    if shape == "other_partition":
        return payload.replace(f'"ledger_partition":"{PARTITION}"'.encode(), b'"ledger_partition":"2026-03-02"')
    if shape == "not_json":
        return payload[:-2]
    assert shape == "writer", shape
    return payload


def frames_alone(data: bytes) -> tuple[list[int], list[str]]:
    """What each frame of `data` says read alone (its own SegmentRecords), as salvage's walk reads it."""
    alone = [SegmentRecords(PARTITION, "s", encode_frame(payload), ((0, len(payload)),)) for _, payload in frames_of(data)]
    return [frame.sequences[0] for frame in alone], [frame.signal_id(0) for frame in alone]


def test_frames_the_writer_wrote_read_as_one_exactly_as_each_reads_alone():
    data = b"".join(encode_frame(payload_of(index, index + 1)) for index in range(5))
    frames = scan_frames(data, FRAME_MAX_BYTES_DEFAULT, tolerate_torn_tail=False).frames
    assert frames_read_alone_alike(PARTITION, data, frames) == frames_alone(data)


@pytest.mark.parametrize("shape", ["reordered", "decoy"])
def test_a_frame_whose_fields_are_not_read_once_each_makes_the_segment_read_frame_by_frame(shape):
    payloads = [payload_of(0, 1), payload_of(1, 2, shape), payload_of(2, 3)]
    data = b"".join(encode_frame(payload) for payload in payloads)
    frames = scan_frames(data, FRAME_MAX_BYTES_DEFAULT, tolerate_torn_tail=False).frames
    assert frames_read_alone_alike(PARTITION, data, frames) is None


def walk_figures(walk) -> tuple:  # noqa: ANN001
    walk.finish(None)
    return ([(r.segment, r.offset_bytes, r.sequence, r.signal_id, r.payload, r.record) for r in walk.records],
            [loss.to_dict() for loss in walk.losses], walk.torn_tail_bytes, walk.last_sequence)


SHAPES = ["writer"] * 6 + ["reordered", "decoy", "other_partition", "not_json"]


@st.composite
def damaged_segments(draw) -> tuple[list[bytes], list[bool]]:
    """Segments of frames of every shape, sequences mostly rising (some repeated or falling back),
    with bit flips, cuts, garbage or a torn frame at the end; the first may be the active one."""
    segments: list[bytes] = []
    sequence = 1
    for _ in range(draw(st.integers(1, 3))):
        frames = []
        for index in range(draw(st.integers(0, 8))):
            sequence = max(1, sequence + draw(st.sampled_from([1, 1, 1, 2, 0, -2])))
            frames.append(encode_frame(payload_of(draw(st.integers(0, 10**6)), sequence, draw(st.sampled_from(SHAPES)))))
        data = bytearray(b"".join(frames))
        for _ in range(draw(st.integers(0, 2))):
            if data:
                data[draw(st.integers(0, len(data) - 1))] ^= 1 << draw(st.integers(0, 7))
        end = draw(st.sampled_from(["none", "none", "cut", "garbage", "torn"]))
        if end == "cut" and data:
            del data[draw(st.integers(0, len(data) - 1)):]
        elif end == "garbage":
            data += draw(st.binary(min_size=1, max_size=40))
        elif end == "torn" and frames:
            data += frames[-1][: draw(st.integers(1, len(frames[-1]) - 1))]
        segments.append(bytes(data))
    return segments, [index == len(segments) - 1 and draw(st.booleans()) for index in range(len(segments))]


def salvaged(segments: list[bytes], tolerate: list[bool], frame_max_bytes: int, *, at_once: bool,
             memo: salvage_module.SalvageMemo | None = None) -> tuple:
    walk = salvage_module._Walk(PARTITION, frame_max_bytes)
    with pytest.MonkeyPatch.context() as patch:
        if not at_once:  # every frame judged alone: the walk as it was before it judged runs at once
            patch.setattr(salvage_module, "frames_read_alone_alike", lambda *args: None)
        for index, (data, tail) in enumerate(zip(segments, tolerate)):
            name = f"segment-{index + 1:06d}.log"
            if memo is None:
                salvage_module._salvage_segment(walk, name, data, tolerate_torn_tail=tail)
            else:
                memo.salvage(walk, name, data, tolerate_torn_tail=tail)
    return walk_figures(walk)


def changed(segments: list[bytes], flips: list[int], grow: bool) -> list[bytes]:
    out = []
    for data, flip in zip(segments, flips):
        if data and flip >= 0:
            data = bytearray(data)
            data[flip % len(data)] ^= 1
            data = bytes(data)
        out.append(data + encode_frame(payload_of(7, 10_000)) if grow else data)
    return out


@settings(max_examples=300, deadline=None)
@given(damaged_segments(), st.sampled_from([FRAME_MAX_BYTES_DEFAULT, 700]),
       st.lists(st.integers(-3, 10**6), min_size=3, max_size=3), st.booleans())
def test_salvage_answers_exactly_as_the_frame_by_frame_walk(damaged, frame_max_bytes, flips, grow):
    segments, tolerate = damaged
    alone = salvaged(segments, tolerate, frame_max_bytes, at_once=False)
    assert salvaged(segments, tolerate, frame_max_bytes, at_once=True) == alone
    memo = salvage_module.SalvageMemo(10**8)
    assert salvaged(segments, tolerate, frame_max_bytes, at_once=True, memo=memo) == alone
    # salvaged again after more rot and growth: prior parses are reused only for equal payloads
    again = changed(segments, flips, grow)
    assert (salvaged(again, tolerate, frame_max_bytes, at_once=True, memo=memo)
            == salvaged(again, tolerate, frame_max_bytes, at_once=False))


@pytest.fixture
def parses(monkeypatch) -> list[int]:
    """The offset of every payload strictly parsed (salvage's and the strict reader's)."""
    calls: list[int] = []
    original = record_parse_module.parse_record

    def counted(partition, segment, offset_bytes, payload):  # noqa: ANN001, ANN202
        calls.append(offset_bytes)
        return original(partition, segment, offset_bytes, payload)

    monkeypatch.setattr(record_parse_module, "parse_record", counted)
    return calls


def test_salvaging_a_grown_active_segment_again_parses_only_its_new_payload(root, clock, parses):
    sealed_ledger(root, clock, records=7, per_segment=3, seal=False)  # segments of 3, 3 and 1 records
    # damage no CRC sees (and the writer's recovery does not refuse): every reconcile pass salvages
    edit_payload(segment_path(root, 1), 0, b'"ledger_sequence":1,', b'"ledger_sequence":"1",')
    reader = LedgerReader(root)
    assert [record.sequence for record in reader.salvage_partition(PARTITION).records] == [2, 3, 4, 5, 6, 7]
    assert len(parses) == 7, "each frame is judged once: the refused one and the six kept"
    writer = LedgerWriter(root, clock=clock, segment_max_records=3)
    writer.write(make_event(70))  # segment 3 grows: new bytes, so it is salvaged again
    writer.close()
    parses.clear()
    result = reader.salvage_partition(PARTITION)
    assert [record.sequence for record in result.records] == [2, 3, 4, 5, 6, 7, 8]
    offset_of_new = frames_of(segment_path(root, 3).read_bytes())[1][0]
    assert parses == [offset_of_new], "only the new record's payload is parsed; the unchanged one is not"
    assert result.records[-2].record.event.signal_id == make_event(6).signal_id


def test_a_payload_rewritten_in_place_with_a_valid_crc_is_validated_again_and_refused(root, clock, parses):
    sealed_ledger(root, clock, records=4, per_segment=2, seal=True)
    flip_bit(segment_path(root, 1), HEADER_BYTES + 5)
    reader = LedgerReader(root)
    assert [record.sequence for record in reader.salvage_partition(PARTITION).records] == [2, 3, 4]
    edit_payload(segment_path(root, 2), 1, b'"ledger_sequence":4,', b'"ledger_sequence":"4",')  # not strict
    parses.clear()
    result = reader.salvage_partition(PARTITION)
    assert [record.sequence for record in result.records] == [2, 3]
    assert parses == [frames_of(segment_path(root, 2).read_bytes())[1][0]], (
        "segment 2's first payload is unchanged and not parsed again; the rewritten one is, and fails")
    assert [loss.segment for loss in result.losses] == ["segment-000001.log", "segment-000002.log"]
