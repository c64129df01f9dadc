"""Observer of the end of a run: the ledger's final bytes, the reader's view, the database's rows.

`final_context` builds the `CheckContext` every checker reads from plain data: file bytes
(`dict[path, bytes]` of what reads see and of what survives a power loss), a read-only `fs` the
system's own reader runs on (its view is judged by `recoverability`), and a `sqlite3.Connection`.
A real twin calls it with the bytes of its real disk and its real database.
"""
from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from operator import attrgetter
from typing import Any

from omen import LedgerReader
from omen.ledger import LedgerCorruptionError
from scenarios.invariants.model import CheckContext
from scenarios.ledger_oracle import BytesMemo, parse_ledger
from scenarios.observers.ledger_files import SEGMENT_SUFFIX
from scenarios.observers.observations import Observations
from scenarios.observers.riskcast_rows import reconcile_highwaters, stored_rows
from scenarios.observers.seals import segment_digest

PARSE_MEMO_BYTES_MIN = 64 * 1024 * 1024  # the memo's default budget: a short run's memo is as before


_SIGNAL_ID_OF = attrgetter("signal_id")  # each record's id, taken in C: a run's end reads every record


def reader_view(fs: Any, root: str) -> dict[str, list[str] | str]:
    """partition -> the signal ids the system's reader yields, or the error it raised ("<root>": listing failed)."""
    reader = LedgerReader(root, fs=fs)
    view: dict[str, list[str] | str] = {}
    try:
        partitions = reader.list_partitions()
    except OSError as error:
        partitions = []
        view["<root>"] = f"{type(error).__name__}: {error}"
    for partition in partitions:
        try:
            view[partition] = list(map(_SIGNAL_ID_OF, reader.scan_partition(partition)))
        except (LedgerCorruptionError, OSError) as error:
            view[partition] = f"{type(error).__name__}: {error}"
    return view


def final_segment_hashes(visible_files: Mapping[str, bytes], root: str, partitions: list[str]) -> dict[str, dict[str, str]]:
    """partition -> segment name -> SHA-256 hex of its final bytes."""
    hashes: dict[str, dict[str, str]] = {}
    for name in partitions:
        prefix = f"{root}/{name}/"
        hashes[name] = {
            path[len(prefix):]: segment_digest(path, data)  # a sealed segment's digest at its seal, again
            for path, data in visible_files.items()
            if path.startswith(prefix) and path.endswith(SEGMENT_SUFFIX)
        }
    return hashes


def final_context(
    *,
    root: str,
    visible_files: Mapping[str, bytes],
    durable_files: Mapping[str, bytes],
    reader_fs: Any,
    conn: sqlite3.Connection,
    events: list[Any],
    observations: Observations,
    faults_fired: dict[str, int],
) -> CheckContext:
    """The checkers' input; also fills `observations.final_segment_hashes`."""
    # after the liveness phase, what survives a power loss is nearly always what reads see: the two
    # parses share every segment whose bytes are the same. WHY sized to the bytes given: the memo
    # holds the very bytes objects of the two mappings (no copy), and under the default budget
    # (64 MiB) a long run's ledger (about 70 MiB at 100,000 signals) was dropped whole before the
    # durable parse could reuse it. Bounded by what the caller already holds in memory.
    held_bytes = sum(map(len, visible_files.values())) + sum(map(len, durable_files.values()))
    parsed = BytesMemo(bytes_max=max(PARSE_MEMO_BYTES_MIN, held_bytes))
    final_visible = parse_ledger(visible_files, root, memo=parsed)
    observations.final_segment_hashes.update(final_segment_hashes(visible_files, root, list(final_visible)))
    state = {partition: int(highwater or 0) for partition, highwater in reconcile_highwaters(conn).items()}
    # WHY compared first: `parse_ledger` is a function of the mapping alone, and after the liveness
    # phase what survives a power loss is nearly always what reads see, path for path and byte for
    # byte (compared whole). Then the durable parse is the visible one, the same object (checkers
    # only read it), not a second pass over every file that would find each in the memo.
    final_durable = (final_visible if durable_files == visible_files else
                     parse_ledger(durable_files, root, memo=parsed))
    return CheckContext(
        events=events,
        final_visible=final_visible,
        final_durable=final_durable,
        stored_rows=stored_rows(conn),
        reconcile_state=state,
        reader_view=reader_view(reader_fs, root),
        observations=observations,
        faults_fired=faults_fired,
    )
