"""Specification of the sealer's pass: every due day is sealed or reported on its own.

Found by the `chaos` sweep (seeds 769 and 30068): a pass that stopped at one damaged day left
every later day open for writes, reconcile never ran over them, and a signal those days lost
was never reported.
"""
from __future__ import annotations

import errno
import os
from datetime import datetime, timedelta, timezone

from omen import LedgerWriter
from omen.ledger import LedgerCorruptionError, LedgerWriteError, SealFailure, seal_due_partitions

from tests.omen.ledger_helpers import DAY_1, make_event

NOW = datetime(2026, 3, 9, 1, tzinfo=timezone.utc)
GRACE = timedelta(minutes=30)


class ScriptedLedger:
    """A ledger whose seal of some days fails in a given way."""

    def __init__(self, due: list[str], failures: dict[str, Exception], listing_error: OSError | None = None):
        self.due, self.failures, self.listing_error = due, failures, listing_error
        self.sealed: list[str] = []

    def get_partitions_to_seal(self, now: datetime, grace: timedelta) -> list[str]:
        if self.listing_error is not None:
            raise LedgerWriteError("could not list the ledger root", self.listing_error)
        return list(self.due)

    def seal_partition(self, partition: str) -> None:
        if partition in self.failures:
            raise self.failures[partition]
        self.sealed.append(partition)


def test_a_damaged_day_is_reported_and_the_days_after_it_are_still_sealed() -> None:
    corrupt = LedgerCorruptionError("2026-03-01", "_manifest.json", 0, "manifest does not parse")
    refused = LedgerWriteError("could not seal partition 2026-03-02", OSError(errno.EIO, "I/O error"))
    ledger = ScriptedLedger(["2026-03-01", "2026-03-02", "2026-03-03"],
                            {"2026-03-01": corrupt, "2026-03-02": refused})
    outcome = seal_due_partitions(ledger, NOW, GRACE)
    assert ledger.sealed == ["2026-03-03"]
    assert outcome.sealed == ("2026-03-03",)
    assert [failure.partition for failure in outcome.failed] == ["2026-03-01", "2026-03-02"]
    assert "manifest does not parse" in outcome.failed[0].error


def test_a_root_that_cannot_be_listed_is_one_failure_without_a_partition() -> None:
    outcome = seal_due_partitions(ScriptedLedger([], {}, OSError(errno.EIO, "I/O error")), NOW, GRACE)
    assert outcome.due == () and outcome.sealed == ()
    assert outcome.failed == (SealFailure(None, outcome.failed[0].error),)
    assert "could not list" in outcome.failed[0].error


def test_a_day_whose_manifest_is_unreadable_is_still_due_so_its_damage_is_reported(root, clock) -> None:
    writer = LedgerWriter(root, clock=clock)
    for day in range(3):
        writer.write(make_event(day, DAY_1 + timedelta(days=day)))
    writer.close()
    with open(os.path.join(root, "2026-03-01", "_manifest.json"), "wb") as manifest:
        manifest.write(b"{ not a manifest")
    reopened = LedgerWriter(root, clock=clock)
    now = DAY_1.replace(hour=0) + timedelta(days=3, hours=1)
    assert reopened.get_partitions_to_seal(now, GRACE) == ["2026-03-01", "2026-03-02", "2026-03-03"]
    outcome = seal_due_partitions(reopened, now, GRACE)
    assert outcome.sealed == ("2026-03-02", "2026-03-03")
    assert [failure.partition for failure in outcome.failed] == ["2026-03-01"]
