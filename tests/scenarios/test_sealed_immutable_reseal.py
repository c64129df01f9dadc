"""A day sealed, unsealed by a crash that dropped its seal's rename, then sealed again: the seal
observer records both seals, and `sealed_immutable` judges the reseal as it judges a first seal.

Found by `fsync_errors` seed 306316, whose reseal went unjudged while the observer kept a day's
first seal only."""
from __future__ import annotations

import json
from types import SimpleNamespace

from scenarios.invariants import CheckContext
from scenarios.invariants.ledger_checks import sealed_immutable
from scenarios.observers.files import MappingFiles
from scenarios.observers.observations import Observations
from scenarios.observers.seals import SealObserver, segment_hashes
from scenarios.runner import run
from sim.trace import TraceEvent

DAY = "2026-01-01"
DROPPED_SEAL = f"/ledger/{DAY}: rename _manifest.json.tmp -> _manifest.json"
SEG_1, SEG_2 = "segment-000001.log", "segment-000002.log"


def manifest(*, sealed: bool) -> bytes:
    return json.dumps({"partition": DAY, "sealed": sealed}).encode()


class SwappedFiles:
    """A file view whose files a test replaces whole, as a crash installs a new state."""

    def __init__(self, files: dict[str, bytes]) -> None:
        self.now = MappingFiles(files)

    def listdir(self, path: str) -> list[str]:
        return self.now.listdir(path)

    def read_bytes(self, path: str, start_bytes: int = 0) -> bytes | None:
        return self.now.read_bytes(path, start_bytes)

    def size_bytes(self, path: str) -> int | None:
        return self.now.size_bytes(path)

    def version(self, path: str) -> None:
        return None


def day_files(*, sealed: bool, segments: dict[str, bytes]) -> dict[str, bytes]:
    files = {f"/ledger/{DAY}/_manifest.json": manifest(sealed=sealed)}
    files.update({f"/ledger/{DAY}/{name}": data for name, data in segments.items()})
    return files


def observer(files: SwappedFiles) -> tuple[SealObserver, Observations, list[str]]:
    kinds: list[str] = []

    def record(node: str, kind: str, **fields: object) -> int:
        kinds.append(kind)
        return len(kinds) - 1

    observations = Observations()
    return SealObserver(files, "/ledger", record, observations), observations, kinds


# ---- the observer ---------------------------------------------------------------------------------
def test_a_seal_the_crash_undid_is_forgotten_and_the_next_seal_is_recorded() -> None:
    files = SwappedFiles(day_files(sealed=True, segments={SEG_1: b"one"}))
    seals, observations, kinds = observer(files)
    seals.observe(DAY)
    files.now = MappingFiles(day_files(sealed=False, segments={SEG_1: b"one"}))  # the rename dropped
    seals.after_crash()
    seals.observe_visible()  # not sealed now: nothing to record
    assert [index for index, _ in observations.seals[DAY]] == [0]
    files.now = MappingFiles(day_files(sealed=True, segments={SEG_1: b"one", SEG_2: b"two"}))
    seals.observe(DAY)
    assert kinds == ["ledger.sealed", "ledger.sealed"]
    assert [sorted(hashes) for _, hashes in observations.seals[DAY]] == [[SEG_1], [SEG_1, SEG_2]]
    assert observations.sealed_at_index[DAY] == 0  # readers saw the day sealed from its first seal


def test_a_seal_still_standing_after_a_crash_is_not_recorded_again() -> None:
    files = SwappedFiles(day_files(sealed=True, segments={SEG_1: b"one"}))
    seals, observations, kinds = observer(files)
    seals.observe(DAY)
    seals.after_crash()
    seals.observe_visible()
    seals.observe(DAY)
    assert kinds == ["ledger.sealed"] and len(observations.seals[DAY]) == 1


# ---- the checker ----------------------------------------------------------------------------------
def context(events: list[tuple[str, dict]], seals: list[tuple[int, dict[str, str]]],
            final: dict[str, str]) -> CheckContext:
    numbered = [TraceEvent(index, 1.0, "omen", kind, fields) for index, (kind, fields) in enumerate(events)]
    observations = SimpleNamespace(seals={DAY: seals}, final_segment_hashes={DAY: final})
    return CheckContext(events=numbered, final_visible={}, final_durable={}, stored_rows=[], reconcile_state={},
                        reader_view={}, observations=observations, faults_fired={})


SEALED = ("ledger.sealed", {"partition": DAY})
DROPPED = ("disk.crash", {"dropped_entry_ops": [DROPPED_SEAL]})
KEPT = ("disk.crash", {"kept_entry_ops": [DROPPED_SEAL], "dropped_entry_ops": []})
FIRST = {SEG_1: "h1"}
SECOND = {SEG_1: "h1", SEG_2: "h2"}


def test_a_reseal_whose_segment_changed_is_a_violation() -> None:
    ctx = context([SEALED, DROPPED, SEALED], [(0, FIRST), (2, SECOND)], {SEG_1: "h1", SEG_2: "rewritten"})
    found = list(sealed_immutable(ctx))
    assert [v.message for v in found] == [
        f"sealed segment {DAY}/{SEG_2} changed after its seal (sealed again after a crash undid a seal)"]
    assert found[0].trace_indices == (2,)


def test_a_reseal_that_gained_a_segment_is_a_violation() -> None:
    final = {**SECOND, "segment-000003.log": "h3"}
    found = list(sealed_immutable(context([SEALED, DROPPED, SEALED], [(0, FIRST), (2, SECOND)], final)))
    assert [v.trace_indices for v in found] == [(2,)] and "gained segment(s)" in found[0].message


def test_an_undone_seal_and_an_intact_reseal_pass() -> None:
    assert not list(sealed_immutable(context([SEALED, DROPPED, SEALED], [(0, FIRST), (2, SECOND)], SECOND)))


def test_a_seal_the_crash_kept_is_judged_and_its_damage_told_once() -> None:
    # the crash kept the rename: the day was never honestly reopened, so the first seal is broken,
    # and the second seal (of the changed day) would only repeat that
    found = list(sealed_immutable(context([SEALED, KEPT, SEALED], [(0, FIRST), (2, SECOND)], SECOND)))
    assert [(v.trace_indices, "gained" in v.message) for v in found] == [((0,), True)]


# ---- the seed that found it -----------------------------------------------------------------------
def test_fsync_errors_306316_records_and_judges_the_reseal() -> None:
    result = run("fsync_errors", 306316, keep_world=True)
    assert result.ok, [violation.message for violation in result.violations]
    seals = result.world.observations.seals[DAY]
    assert len(seals) == 2, seals
    (first_index, first), (second_index, second) = seals
    assert first_index < second_index and len(first) == 8 and len(second) == 9
    assert second == segment_hashes(result.world.ledger_files, "/ledger", DAY)  # the day, unchanged since
