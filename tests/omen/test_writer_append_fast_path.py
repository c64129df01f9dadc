"""`LedgerWriter.write`'s per-record path does what it did before its fast path, call for call.

WHY: `write` inlines `_require_open`, `encode_frame` and `_partition_for_write`'s answer for an
open, recovered, unsealed partition, and `_append` keeps its sizes in locals. The port's calls
are the durability recipe and reach the trace, so the reference below is the earlier code, kept
verbatim: both writers are driven through the same drawn histories (rollovers by records and by
bytes, sealed days and their late partitions, records too large for a frame, short writes,
injected errors on every kind of call, a closed writer) on two identical simulated disks, and
every port call with its arguments, every answer and every error must be the same.
"""
from __future__ import annotations

import errno
import os
import random
from datetime import timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from omen import FixedClock, LedgerWriter, SignalEvent
from omen.ledger import writer as writer_module
from omen.ledger.framing import encode_frame
from omen.ledger.fs_ops import write_all
from omen.schema import LedgerRecord, partition_for
from sim.disk import SimDisk
from tests.omen.ledger_helpers import DAY_1

ACTIONS_MAX = 40


class _ReferenceWriter(LedgerWriter):
    """`write` and `_append` as they were before the fast path (verbatim but for the module prefix)."""

    def write(self, event: SignalEvent) -> SignalEvent:
        self._require_open()
        try:
            state = self._partition_for_write(partition_for(event.emitted_at))
        except OSError as error:
            raise writer_module.LedgerWriteError(f"could not open the ledger partition for signal {event.signal_id}", error) from error
        written_at = self._clock.now()
        assert written_at.tzinfo is not None, "the clock port must return tz-aware UTC datetimes"
        sequence = max(state.highwater, state.sequence_floor) + 1
        assert sequence > state.highwater, "a new record's sequence lies above the partition's highwater"
        placed = event.with_ledger_metadata(partition=state.name, sequence=sequence, written_at=written_at)
        payload = LedgerRecord.payload_of(placed)
        if len(payload) > self._frame_max_bytes:
            raise writer_module.LedgerRecordTooLargeError(
                f"signal {event.signal_id} encodes to {len(payload)} bytes, above frame_max_bytes="
                f"{self._frame_max_bytes}; shrink its payload or raise the limit for writer and readers"
            )
        state.sequence_floor = sequence
        try:
            self._append(state, encode_frame(payload), sequence)
        except OSError as error:
            self._roll_back(state)
            raise writer_module.LedgerWriteError(
                f"could not durably append signal {event.signal_id} to partition {state.name}", error
            ) from error
        return placed

    def _append(self, state: Any, frame: bytes, sequence: int) -> None:
        fs = self._fs
        segment = state.segments[-1] if state.segments else None
        if (
            segment is None
            or segment.sealed
            or segment.record_count >= self._segment_max_records
            or (segment.size_bytes > 0 and segment.size_bytes + len(frame) > self._segment_max_bytes)
        ):
            segment = self._start_segment(state)
        path = writer_module._segment_path(state, segment)
        if state.fd is None:
            state.fd = fs.open(path, os.O_WRONLY)
            fs.lseek(state.fd, segment.size_bytes, os.SEEK_SET)
        size_before_bytes, records_before = segment.size_bytes, segment.record_count
        state.rollback = (path, size_before_bytes)
        write_all(fs, state.fd, frame)
        fs.fsync(state.fd)
        segment.size_bytes += len(frame)
        segment.record_count += 1
        state.highwater = sequence
        assert segment.size_bytes == size_before_bytes + len(frame) and segment.record_count == records_before + 1
        assert segment.record_count <= self._segment_max_records
        assert segment.size_bytes <= self._segment_max_bytes or segment.record_count == 1, "only a lone frame may exceed"
        assert state.highwater == sequence
        state.rollback = None
        if state.is_late:
            self._follow_late_growth(state)


class _RecordingDisk:
    """A simulated disk that logs every call with its arguments, and fails or shortens one on cue."""

    def __init__(self) -> None:
        self.disk = SimDisk(random.Random(0))
        self.log: list[tuple[Any, ...]] = []
        self.fault: tuple[str, int, int] | None = None  # (call name, calls of it to let pass first, errno)
        self.short_write_bytes: int | None = None

    def __getattr__(self, name: str) -> Any:
        real = getattr(self.disk, name)
        if not callable(real):
            return real

        def call(*args: Any, **kwargs: Any) -> Any:
            self.log.append((name, tuple(bytes(a) if isinstance(a, memoryview) else a for a in args), kwargs))
            if self.fault is not None and self.fault[0] == name:
                fault_name, skip, err = self.fault
                if skip == 0:
                    self.fault = None
                    raise OSError(err, os.strerror(err))
                self.fault = (fault_name, skip - 1, err)
            if name == "write" and self.short_write_bytes is not None and len(args[1]) > self.short_write_bytes:
                fd, data = args
                self.short_write_bytes, part = None, bytes(data[: self.short_write_bytes])
                return real(fd, part)
            result = real(*args, **kwargs)
            self.log.append(("->", result if not hasattr(result, "st_size") else (result.st_size, result.st_mode)))
            return result

        return call


def _event(index: int, day: int, pad_bytes: int) -> SignalEvent:
    emitted_at = DAY_1 + timedelta(days=day, seconds=index)
    return SignalEvent.create(
        event_id=f"evt-{index}", input_event={"index": index}, ruleset_version="r1", category="weather",
        observed_at=emitted_at - timedelta(seconds=1), emitted_at=emitted_at,
        payload={"index": index, "pad": "x" * pad_bytes},
    )


def _outcome(call: Any) -> tuple[Any, ...]:
    try:
        value = call()
    except (OSError, ValueError, writer_module.LedgerWriteError, writer_module.LedgerCorruptionError,
            writer_module.LedgerRecordTooLargeError) as error:
        return ("error", type(error).__name__, str(error))
    if isinstance(value, SignalEvent):
        return ("placed", value.model_dump_json())
    return ("value", repr(value))


# most records fit the segment and frame limits drawn below, some do not
_write = st.tuples(st.just("write"), st.integers(0, 2), st.integers(0, 80))
_write_large = st.tuples(st.just("write"), st.integers(0, 2), st.integers(0, 700))
_actions = st.lists(
    st.one_of(
        _write, _write, _write_large,
        st.tuples(st.just("reopen"), st.just(0), st.just(0)),
        st.tuples(st.just("seal"), st.integers(0, 2), st.just(0)),
        st.tuples(st.just("fail"), st.sampled_from(["open", "lseek", "write", "fsync", "replace", "close", "chmod"]),
                  st.integers(0, 3)),
        st.tuples(st.just("short"), st.integers(1, 40), st.just(0)),
        st.tuples(st.just("close"), st.just(0), st.just(0)),
    ),
    min_size=4,
    max_size=ACTIONS_MAX,
)


@settings(max_examples=300, deadline=None)
@given(
    actions=_actions,
    segment_max_records=st.integers(1, 5),
    segment_max_bytes=st.integers(300, 6000),
    frame_max_bytes=st.integers(400, 1200),
)
def test_write_makes_the_same_calls_and_answers_as_the_reference(actions, segment_max_records, segment_max_bytes,
                                                                 frame_max_bytes):
    disks = (_RecordingDisk(), _RecordingDisk())
    clocks = (FixedClock(DAY_1), FixedClock(DAY_1))
    def opened(side: int) -> LedgerWriter:
        cls = (_ReferenceWriter, LedgerWriter)[side]
        return cls("/ledger", fs=disks[side], clock=clocks[side], segment_max_records=segment_max_records,
                   segment_max_bytes=segment_max_bytes, frame_max_bytes=frame_max_bytes)

    writers = [opened(0), opened(1)]
    outcomes: list[list[tuple[Any, ...]]] = [[], []]
    for index, (kind, a, b) in enumerate(actions):
        for side in (0, 1):
            writer, disk, clock = writers[side], disks[side], clocks[side]
            clock.set(DAY_1 + timedelta(days=3, seconds=index))
            if kind == "write":
                event = _event(index, a, b)
                outcomes[side].append(_outcome(lambda: writer.write(event)))
            elif kind == "seal":
                partition = (DAY_1 + timedelta(days=a)).date().isoformat()
                outcomes[side].append(_outcome(lambda: writer.seal_partition(partition).revision))
            elif kind == "fail":
                disk.fault = (a, b, errno.EIO)
            elif kind == "short":
                disk.short_write_bytes = a
            elif kind == "reopen":  # a restart: the next append to each partition reopens its segment
                writers[side] = opened(side)
            else:
                outcomes[side].append(_outcome(writer.close))
    assert outcomes[1] == outcomes[0]
    assert disks[1].log == disks[0].log


def test_the_histories_reach_what_the_fast_path_must_agree_on():
    """The branches the drawn histories exercise, stated: a late detour, a rollback, the frame limit's edge."""
    disk = _RecordingDisk()
    writer = LedgerWriter("/ledger", fs=disk, clock=FixedClock(DAY_1), segment_max_records=2, frame_max_bytes=600)
    placed = [writer.write(_event(i, 0, 10)) for i in range(3)]
    assert [event.ledger_sequence for event in placed] == [1, 2, 3]
    writer.seal_partition("2026-03-01")
    assert writer.write(_event(3, 0, 10)).ledger_partition == "2026-03-01-late"
    disk.fault = ("fsync", 0, errno.EIO)
    assert _outcome(lambda: writer.write(_event(4, 1, 10)))[1] == "LedgerWriteError"
    assert writer.write(_event(5, 1, 10)).ledger_sequence == 2  # the rolled-back 1 is never handed out again
    assert _outcome(lambda: writer.write(_event(6, 1, 700)))[1] == "LedgerRecordTooLargeError"
    writer.close()
    payload_bytes = len(LedgerRecord.payload_of(placed[0]))
    exact = LedgerWriter("/exact", fs=disk, clock=FixedClock(DAY_1), frame_max_bytes=payload_bytes)
    assert exact.write(_event(0, 0, 10)).ledger_sequence == 1  # a payload of exactly the limit fits
    tight = LedgerWriter("/tight", fs=disk, clock=FixedClock(DAY_1), frame_max_bytes=payload_bytes - 1)
    assert _outcome(lambda: tight.write(_event(0, 0, 10)))[1] == "LedgerRecordTooLargeError"
    assert _outcome(lambda: writer.write(_event(7, 1, 10)))[1] == "ValueError"
