"""The observers read file bytes and rows, not simulator objects: on a real ledger written by the
real writer through `os`, and a real SQLite file, they report what the simulated world would."""
from __future__ import annotations

import random
import sqlite3
from datetime import datetime, timedelta, timezone
from pathlib import Path

from omen import FixedClock, LedgerWriter, SignalEvent
from riskcast import init_schema
from scenarios.observers import (
    DurableLedgerIndex,
    MappingFiles,
    OsFiles,
    ReconcileStateObserver,
    SimDiskView,
    manifest_says_sealed,
    segment_hashes,
    surviving_ledger,
)
from sim.disk import SimDisk

DAY = datetime(2026, 3, 1, 12, tzinfo=timezone.utc)


def _event(index: int) -> SignalEvent:
    return SignalEvent.create(event_id=f"evt-{index}", input_event={"index": index}, ruleset_version="r1",
                              category="weather", observed_at=DAY, emitted_at=DAY)


def _write_ledger(root: str, fs: object, count: int) -> list[SignalEvent]:
    writer = LedgerWriter(root, fs=fs, clock=FixedClock(DAY), segment_max_records=2)
    placed = [writer.write(_event(index)) for index in range(count)]
    writer.close()
    return placed


def test_the_ledger_observers_read_a_real_ledger_as_they_read_the_simulated_one(tmp_path: Path) -> None:
    root = str(tmp_path / "ledger")
    placed = _write_ledger(root, __import__("os"), 5)
    disk = SimDisk(random.Random(0))
    _write_ledger("/ledger", disk, 5)

    real, simulated = OsFiles(), SimDiskView(disk)
    placed_real, ids_real, records_real = surviving_ledger(real, root)
    placed_sim, ids_sim, records_sim = surviving_ledger(simulated, "/ledger")
    assert records_real == records_sim == 5
    assert ids_real == ids_sim == {event.signal_id for event in placed}
    assert placed_real == placed_sim, "same (partition, sequence) -> signal id on both disks"
    assert segment_hashes(real, root, "2026-03-01") == segment_hashes(simulated, "/ledger", "2026-03-01")
    assert len(segment_hashes(real, root, "2026-03-01")) == 3, "five records, two per segment"
    assert not manifest_says_sealed(real, root, "2026-03-01")
    index = DurableLedgerIndex(real, root)
    assert index.contains("2026-03-01", placed[-1].signal_id) and not index.contains("2026-03-01", "nope")


def test_a_sealed_manifest_is_seen_from_its_bytes(tmp_path: Path) -> None:
    root = str(tmp_path / "ledger")
    writer = LedgerWriter(root, clock=FixedClock(DAY), segment_max_records=2)
    writer.write(_event(0))
    writer.seal_partition("2026-03-01")
    writer.close()
    assert manifest_says_sealed(OsFiles(), root, "2026-03-01")
    copied = MappingFiles({str(path): path.read_bytes() for path in (tmp_path / "ledger").rglob("*") if path.is_file()})
    assert manifest_says_sealed(copied, root, "2026-03-01"), "a dict of the same bytes says the same"


def test_the_reconcile_state_observer_reads_a_real_sqlite_file(tmp_path: Path) -> None:
    root = str(tmp_path / "ledger")
    placed = _write_ledger(root, __import__("os"), 3)
    conn = sqlite3.connect(tmp_path / "riskcast.db")
    init_schema(conn)
    conn.execute("INSERT INTO signals (signal_id, ack_id) VALUES (?, 'ack-1')", (placed[0].signal_id,))
    conn.execute("INSERT INTO reconcile_state VALUES ('2026-03-01', 3, 1, 'ok', '', 3, 0, 0, ?)",
                 ((DAY + timedelta(hours=1)).isoformat(),))
    conn.commit()
    recorded: list[tuple[str, str, dict]] = []

    def record(node: str, kind: str, **fields: object) -> int:
        recorded.append((node, kind, fields))
        return len(recorded) - 1

    observer = ReconcileStateObserver(conn, OsFiles(), root, record)
    observer.observe()
    observer.observe()  # nothing changed since: nothing recorded
    assert recorded == [("reconciler", "reconcile.state", {
        "partition": "2026-03-01", "highwater": 3, "missing": sorted(e.signal_id for e in placed[1:])})]
