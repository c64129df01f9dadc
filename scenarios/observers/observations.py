"""Facts the observers gather during a run that are not in the trace's event stream.

The checkers read them next to the trace (`CheckContext.observations`). Every index is the
trace index of the event that marks the fact, so a violation can point at it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple


class CrashSnapshot(NamedTuple):
    """What survived one power loss of OMEN's disk, read right after the crash was applied."""

    index: int  # trace index of the "ledger.recovered" event
    placed: dict[tuple[str, int], str]  # (partition, sequence) -> the first signal id found there
    recovered_ids: set[str]  # every signal id with a valid record after the crash
    stored_ids: set[str]  # every signal id RiskCast held at that moment


@dataclass
class Observations:
    crash_snapshots: list[CrashSnapshot] = field(default_factory=list)
    final_segment_hashes: dict[str, dict[str, str]] = field(default_factory=dict)  # partition -> segment -> sha256
    # partition -> every seal seen, in order: (trace index, segment -> sha256 at the seal). More than
    # one when a crash undid a seal (its manifest rename was dropped) and the day was sealed again.
    seals: dict[str, list[tuple[int, dict[str, str]]]] = field(default_factory=dict)
    sealed_at_index: dict[str, int] = field(default_factory=dict)  # partition -> trace index of its first seal
    converged: bool = False
    deadlock: str | None = None
    unexpected_errors: list[tuple[int, str]] = field(default_factory=list)  # (trace index, what escaped)
    # an extra check's findings, judged by `recoverability`: (trace index, what recovery got wrong)
    crash_state_findings: list[tuple[int, str]] = field(default_factory=list)

    def record_seal(self, partition: str, index: int, hashes: dict[str, str]) -> None:
        """A seal seen at trace index `index`, with its segments' hashes then. The first seal of a
        day stays its `sealed_at_index`: from then on readers saw it sealed, so reconcile could act."""
        seen = self.seals.setdefault(partition, [])
        assert not seen or seen[-1][0] < index, (partition, seen[-1][0], index)
        seen.append((index, hashes))
        self.sealed_at_index.setdefault(partition, index)
        assert self.sealed_at_index[partition] == seen[0][0]
