"""The real ledger on the real disk (a temp dir), against the bare system calls it is made of.

- per-record mode (`LedgerWriter.write`: one write + one fsync per record) against a bare
  `os.write` + `os.fsync` loop of the very same frame bytes (target >= 0.9x the throughput);
- group commit (`GroupCommitter` over `write_many`: concurrent writers, one fsync per batch)
  against per-record mode, and against SQLite in WAL mode with synchronous=FULL inserting the
  same records durably (one transaction per record, and one per batch);
- the reader's scan (frames, CRC, JSON, schema) against a bare read + CRC of the same file
  (target >= 0.5x).
Throughput ratios: > 1 means the first is faster.
"""
from __future__ import annotations

import asyncio
import itertools
import os
import sqlite3
import time
import struct
import zlib
from datetime import datetime, timedelta, timezone
from pathlib import Path

from benchmarks.conftest import best_of, record, timed
from omen import FixedClock, LedgerReader, LedgerWriter, SignalEvent
from omen.ledger.group_commit import GroupCommitter

DAY = datetime(2026, 3, 1, 12, tzinfo=timezone.utc)
BATCH_RECORDS = 64
_counter = itertools.count()


def events(count: int) -> list[SignalEvent]:
    return [
        SignalEvent.create(
            event_id=f"evt-{i}", input_event={"i": i, "source": "feed-1"}, ruleset_version="r1",
            category="weather", observed_at=DAY - timedelta(seconds=1), emitted_at=DAY,
            payload={"index": i, "severity": i % 5},
        )
        for i in range(count)
    ]


def fresh(base: Path, name: str) -> str:
    path = base / f"{name}-{next(_counter)}"
    return str(path)


def per_record(base: Path, batch: list[SignalEvent]) -> str:
    root = fresh(base, "per-record")
    with LedgerWriter(root, clock=FixedClock(DAY)) as writer:
        for event in batch:
            writer.write(event)
    return root


def group_commit(base: Path, batch: list[SignalEvent]) -> str:
    root = fresh(base, "group")
    with LedgerWriter(root, clock=FixedClock(DAY)) as writer:
        committer = GroupCommitter(writer, max_batch=BATCH_RECORDS)

        async def main() -> None:
            await asyncio.gather(*(committer.write(event) for event in batch))

        asyncio.run(main())
    return root


def segment_frames(root: str) -> list[bytes]:
    """The frames the ledger wrote, as bytes, for the bare loop to write again."""
    data = Path(root, "2026-03-01", "segment-000001.log").read_bytes()
    frames: list[bytes] = []
    offset = 0
    for _ in range(len(data)):
        if offset >= len(data):
            break
        length = struct.unpack_from(">I", data, offset)[0]
        frames.append(data[offset : offset + 8 + length])
        offset += 8 + length
    return frames


def bare_loop(base: Path, frames: list[bytes]) -> None:
    path = fresh(base, "bare")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        for frame in frames:
            os.write(fd, frame)
            os.fsync(fd)
    finally:
        os.close(fd)


def sqlite_insert(base: Path, batch: list[SignalEvent], per_transaction: int) -> None:
    conn = sqlite3.connect(fresh(base, "sqlite") + ".db", isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("CREATE TABLE signals (signal_id TEXT PRIMARY KEY, body TEXT NOT NULL)")
        rows = [(event.signal_id, event.model_dump_json()) for event in batch]
        for start in range(0, len(rows), per_transaction):
            conn.execute("BEGIN")
            conn.executemany("INSERT INTO signals VALUES (?, ?)", rows[start : start + per_transaction])
            conn.execute("COMMIT")
    finally:
        conn.close()


def test_per_record_fsync_against_a_bare_write_and_fsync_loop(benchmark, full, tmp_path):
    batch = events(300 if full else 20)
    frames = segment_frames(per_record(tmp_path, batch))
    assert len(frames) == len(batch)
    # fsync latency drifts on a shared disk: take the baseline before and after, keep the best
    bare_before_s = best_of(lambda: bare_loop(tmp_path, frames), 2 if full else 1)
    seconds, _ = timed(benchmark, lambda: per_record(tmp_path, batch))
    bare_s = min(bare_before_s, best_of(lambda: bare_loop(tmp_path, frames), 2 if full else 1))
    ratio = bare_s / seconds
    record(benchmark, "per-record ledger throughput / bare write+fsync loop", ratio, target=">= 0.9x", met=ratio >= 0.9)
    benchmark.extra_info["per_record_records_per_s"] = round(len(batch) / seconds, 1)


def test_group_commit_against_per_record_and_sqlite_wal_full(benchmark, full, tmp_path):
    batch = events(1000 if full else 40)
    seconds, root = timed(benchmark, lambda: group_commit(tmp_path, batch))
    assert sum(1 for _ in LedgerReader(root).read_partition("2026-03-01")) == len(batch)
    per_record_s = best_of(lambda: per_record(tmp_path, batch), 2 if full else 1)
    sqlite_row_s = best_of(lambda: sqlite_insert(tmp_path, batch, 1), 2 if full else 1)
    sqlite_batch_s = best_of(lambda: sqlite_insert(tmp_path, batch, BATCH_RECORDS), 2 if full else 1)
    record(benchmark, "group commit throughput / per-record mode", per_record_s / seconds, target="> 1x")
    record(benchmark, "group commit throughput / SQLite WAL FULL, 1 row per txn", sqlite_row_s / seconds)
    record(benchmark, f"group commit throughput / SQLite WAL FULL, {BATCH_RECORDS} rows per txn",
           sqlite_batch_s / seconds)
    benchmark.extra_info["group_commit_records_per_s"] = round(len(batch) / seconds, 1)


def bare_scan(path: Path) -> int:
    data = path.read_bytes()
    offset = 0
    count = 0
    for _ in range(len(data)):
        if offset >= len(data):
            break
        length, crc = struct.unpack_from(">II", data, offset)
        payload = data[offset + 8 : offset + 8 + length]
        assert zlib.crc32(payload) == crc
        offset += 8 + length
        count += 1
    return count


def cpu_best_of(fn, repeat: int) -> float:
    """Best CPU seconds (process time) of `repeat` calls. On a shared, loaded machine a wall-clock
    best-of favours the shorter task (it more often fits a quiet slice); CPU time does not."""
    assert 1 <= repeat <= 50, repeat
    best = float("inf")
    for _ in range(repeat):
        started = time.process_time()
        fn()
        best = min(best, time.process_time() - started)
    return best


def test_reader_scan_against_a_bare_read_and_crc(benchmark, full, tmp_path):
    """`scan_partition` (what reconcile and the checkers read through: CRC, manifest counts and
    sequence order checked, full validation deferred) against a bare read + CRC of the same file,
    consumed as before (count the records), in CPU time, interleaved. The target is on a first
    read (a reader without the memo of verified segments checks every frame's CRC, as a bare read
    does); a read again through the memo (the bytes compared whole, not CRC-checked again: what
    reconcile's next pass costs), asking each record's signal_id (what reconcile does) and the
    fully validating `read_partition` are recorded beside it."""
    batch = events(5000 if full else 200)
    root = str(tmp_path / "ledger")
    with LedgerWriter(root, clock=FixedClock(DAY)) as writer:
        for start in range(0, len(batch), 500):
            writer.write_many(batch[start : start + 500])
    cold = LedgerReader(root, verified_bytes_max=0)
    reader = LedgerReader(root)
    _, count = timed(benchmark, lambda: sum(1 for _ in cold.scan_partition("2026-03-01")), rounds=5)
    assert count == len(batch)
    assert [record.signal_id for record in reader.scan_partition("2026-03-01")] == [e.signal_id for e in batch]
    segment = Path(root, "2026-03-01", "segment-000001.log")
    rounds = 15 if full else 1
    bare_s = scan_s = again_s = with_ids_s = float("inf")
    for _ in range(3):  # interleaved, so a burst of load on the machine hits all alike
        bare_s = min(bare_s, cpu_best_of(lambda: bare_scan(segment), rounds))
        scan_s = min(scan_s, cpu_best_of(lambda: sum(1 for _ in cold.scan_partition("2026-03-01")), rounds))
        again_s = min(again_s, cpu_best_of(lambda: sum(1 for _ in reader.scan_partition("2026-03-01")), rounds))
        with_ids_s = min(with_ids_s, cpu_best_of(
            lambda: [record.signal_id for record in cold.scan_partition("2026-03-01")], rounds))
    ratio = bare_s / max(scan_s, 1e-9)
    record(benchmark, "reader scan (scan_partition), first read / bare read+CRC", ratio, target=">= 0.5x",
           met=ratio >= 0.5)
    record(benchmark, "reader scan again, through the memo of verified segments / bare read+CRC",
           bare_s / max(again_s, 1e-9))
    record(benchmark, "reader scan reading every signal_id, first read / bare read+CRC", bare_s / max(with_ids_s, 1e-9))
    validated_s = cpu_best_of(lambda: sum(1 for _ in cold.read_partition("2026-03-01")), 3 if full else 1)
    record(benchmark, "reader read_partition (every record validated) / bare read+CRC", bare_s / max(validated_s, 1e-9))
