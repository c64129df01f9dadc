"""Fuzzing the ledger reader with damaged ledgers: only typed errors, only original records, in order.

A variant is one of a few small, valid base ledgers (a sealed partition of three segments, an unsealed
one whose first segments the rollover sealed) with one to three damages drawn from `DAMAGES`: bit
flips, byte substitutions, truncations (anywhere and on frame boundaries), insertions, garbage
appended, huge length fields, whole frames duplicated, swapped or removed (their CRCs stay valid),
payloads edited into invalid records with their CRC recomputed (timestamps that overflow on their way
to UTC, sequences as strings, other partitions, forged ids, unknown fields, broken JSON), damaged
manifests (the same edits, counts, sealed flags, garbage), deleted files and a read-only active segment.

`check_variant` runs every entry point of `LedgerReader` (strict reads, the lazy scan with each
record validated, partition info, the queries, salvage) and demands: every exception is a
`LedgerCorruptionError`; every record yielded or salvaged is byte for byte one the writer wrote, in
the writer's order, at most once; and for a single damage of a sealed partition with its manifest
intact, every record salvage does not return lies in a reported loss's sequence range.

The Hypothesis suite (tests/omen/test_ledger_fuzz.py) draws variants through Hypothesis; the long run
draws them from a seeded PRNG, much faster, and prints its figures:

    python -m scenarios.ledger_fuzz --variants 1000000 --seed 0

The ledgers live in an in-memory `fs` port (the reader's only I/O), so a variant costs no disk I/O.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import stat
import struct
import sys
import tempfile
import time
import zlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from omen import FixedClock, LedgerCorruptionError, LedgerReader, LedgerWriter, SignalEvent
from omen.ledger.framing import HEADER, HEADER_BYTES, encode_frame

ROOT = "/ledger"
PARTITION = "2026-03-01"
DAY = datetime(2026, 3, 1, 12, tzinfo=timezone.utc)
OVERFLOWING = '"0001-01-01T00:30:00+01:00"'
VARIANTS_PER_REPORT = 50_000


class MemoryFs:
    """The read half of the `os` port over a dict of path -> [bytes, mode]; directories are implied."""

    def __init__(self, files: dict[str, tuple[bytes, int]]) -> None:
        self.files = {path: [data, mode] for path, (data, mode) in files.items()}
        self._open: dict[int, list] = {}
        self._next_fd = 3

    def listdir(self, path: str) -> list[str]:
        prefix = path.rstrip("/") + "/"
        names = {p[len(prefix):].split("/", 1)[0] for p in self.files if p.startswith(prefix)}
        if not names:
            raise FileNotFoundError(2, "No such file or directory", path)
        return sorted(names)

    def open(self, path: str, flags: int, mode: int = 0o644) -> int:
        if path not in self.files:
            raise FileNotFoundError(2, "No such file or directory", path)
        fd = self._next_fd
        self._next_fd += 1
        self._open[fd] = [self.files[path], 0]
        return fd

    def fstat(self, fd: int) -> os.stat_result:
        entry = self._open[fd][0]
        return os.stat_result((stat.S_IFREG | entry[1], 0, 0, 1, 0, 0, len(entry[0]), 0, 0, 0))

    def stat(self, path: str) -> os.stat_result:
        if path not in self.files:
            raise FileNotFoundError(2, "No such file or directory", path)
        data, mode = self.files[path]
        return os.stat_result((stat.S_IFREG | mode, 0, 0, 1, 0, 0, len(data), 0, 0, 0))

    def lseek(self, fd: int, position: int, whence: int) -> int:
        assert whence == os.SEEK_SET
        self._open[fd][1] = position
        return position

    def read(self, fd: int, count: int) -> bytes:
        entry, position = self._open[fd]
        chunk = entry[0][position : position + count]
        self._open[fd][1] = position + len(chunk)
        return chunk

    def close(self, fd: int) -> None:
        del self._open[fd]


@dataclass(frozen=True)
class Base:
    """A valid ledger as files, and the payloads the writer wrote, in order."""

    name: str
    files: dict[str, tuple[bytes, int]]
    payloads: tuple[bytes, ...]
    sealed: bool


def _events(count: int) -> list[SignalEvent]:
    return [
        SignalEvent.create(
            event_id=f"evt-{i}", input_event={"i": i}, ruleset_version="r1", category="weather",
            observed_at=DAY - timedelta(seconds=1), emitted_at=DAY + timedelta(seconds=i), payload={"i": i},
        )
        for i in range(count)
    ]


def build_bases() -> list[Base]:
    """Write the base ledgers with the real writer on a real temp dir, then hold them in memory."""
    bases = []
    for name, sealed in (("sealed", True), ("unsealed", False)):
        with tempfile.TemporaryDirectory() as root:
            writer = LedgerWriter(root, clock=FixedClock(DAY + timedelta(minutes=5)), segment_max_records=3)
            for event in _events(8):
                writer.write(event)
            if sealed:
                writer.seal_partition(PARTITION)
            writer.close()
            files = {}
            directory = os.path.join(root, PARTITION)
            for entry in sorted(os.listdir(directory)):
                path = os.path.join(directory, entry)
                with open(path, "rb") as f:
                    files[f"{ROOT}/{PARTITION}/{entry}"] = (f.read(), os.stat(path).st_mode & 0o777)
        segments = [files[p][0] for p in sorted(files) if p.endswith(".log")]
        payloads = tuple(payload for data in segments for _, payload in _frames(data))
        bases.append(Base(name, files, payloads, sealed))
    return bases


def _frames(data: bytes) -> list[tuple[int, bytes]]:
    """The CRC-valid frames at the start of `data` (an earlier damage ends them)."""
    found, offset = [], 0
    while offset + HEADER_BYTES <= len(data):
        length, crc = HEADER.unpack_from(data, offset)
        payload = data[offset + HEADER_BYTES : offset + HEADER_BYTES + length]
        if length == 0 or len(payload) != length or zlib.crc32(payload) != crc:
            break
        found.append((offset, payload))
        offset += HEADER_BYTES + length
    return found


def _reframed(data: bytes, payloads: list[bytes]) -> bytes:
    """`payloads` framed in place of the valid prefix of `data`; the bytes after it kept as they are
    (re-framing them would give damaged bytes a valid CRC: a damage no reader can see)."""
    frames = _frames(data)
    end = frames[-1][0] + HEADER_BYTES + len(frames[-1][1]) if frames else 0
    return b"".join(encode_frame(payload) for payload in payloads) + data[end:]


# ------------------------------------------------------------------------------------------ damages

Files = dict[str, list]  # path -> [bytes, mode]


def _segment(files: Files, rng: random.Random) -> str | None:
    names = sorted(p for p in files if p.endswith(".log") and files[p][0])
    return rng.choice(names) if names else None


def _with_bytes(files: Files, rng: random.Random, edit: Callable[[bytes, random.Random], bytes], *, manifest: bool = False) -> str:
    pool = sorted(p for p in files if (p.endswith("_manifest.json") if manifest else files[p][0]))
    if not pool:
        return "nothing to damage"
    path = rng.choice(pool)
    files[path][0] = edit(files[path][0], rng)
    return path.rsplit("/", 1)[1]


def bit_flips(files: Files, rng: random.Random) -> str:
    def edit(data: bytes, rng: random.Random) -> bytes:
        buffer = bytearray(data)
        for _ in range(rng.randint(1, 3)):
            if buffer:
                buffer[rng.randrange(len(buffer))] ^= 1 << rng.randrange(8)
        return bytes(buffer)
    return _with_bytes(files, rng, edit)


def substitution(files: Files, rng: random.Random) -> str:
    def edit(data: bytes, rng: random.Random) -> bytes:
        if not data:
            return data
        start = rng.randrange(len(data))
        return data[:start] + rng.randbytes(rng.randint(1, 16)) + data[start + rng.randint(1, 16):]
    return _with_bytes(files, rng, edit)


def truncation(files: Files, rng: random.Random) -> str:
    path = _segment(files, rng)
    if path is None:
        return "nothing to truncate"
    data = files[path][0]
    if rng.random() < 0.5:
        cuts = [offset for offset, _ in _frames(data)] + [len(data)]
        files[path][0] = data[: rng.choice(cuts)]
    else:
        files[path][0] = data[: rng.randrange(len(data))]
    return path


def insertion(files: Files, rng: random.Random) -> str:
    def edit(data: bytes, rng: random.Random) -> bytes:
        at = rng.randrange(len(data) + 1)
        return data[:at] + rng.randbytes(rng.randint(1, 64)) + data[at:]
    return _with_bytes(files, rng, edit)


def garbage_appended(files: Files, rng: random.Random) -> str:
    path = _segment(files, rng)
    if path is not None:
        files[path][0] += rng.choice([bytes(rng.randint(1, 600)), rng.randbytes(rng.randint(1, 4096))])
    return str(path)


def huge_length(files: Files, rng: random.Random) -> str:
    path = _segment(files, rng)
    if path is None:
        return "nothing"
    data = files[path][0]
    offset, _ = rng.choice(_frames(data) or [(0, b"")])
    length = rng.choice([0, 0xFFFFFFFF, 0x7FFFFFFF, 1 << 20, (1 << 20) + 1, len(data)])
    files[path][0] = data[:offset] + struct.pack(">I", length) + data[offset + 4 :]
    return path


def frames_moved(files: Files, rng: random.Random) -> str:
    path = _segment(files, rng)
    if path is None:
        return "nothing"
    payloads = [payload for _, payload in _frames(files[path][0])]
    if not payloads:
        return "no frames to move"
    move = rng.choice(["duplicate", "swap", "remove", "to_other_segment"])
    index = rng.randrange(len(payloads))
    if move == "duplicate":
        payloads.insert(rng.randrange(len(payloads) + 1), payloads[index])
    elif move == "swap" and len(payloads) > 1:
        other = rng.randrange(len(payloads))
        payloads[index], payloads[other] = payloads[other], payloads[index]
    elif move == "remove":
        del payloads[index]
    else:
        other = _segment(files, rng)
        if other is not None:
            files[other][0] += encode_frame(payloads[index])
            return f"{move} from {path} to {other}"
    files[path][0] = _reframed(files[path][0], payloads)
    return f"{move} in {path}"


_PAYLOAD_EDITS: tuple[tuple[str, str], ...] = (
    ('"observed_at":"2026-03-01T11:59:59Z"', f'"observed_at":{OVERFLOWING}'),
    ('"emitted_at":"', f'"emitted_at":{OVERFLOWING},"x":"'),
    ('"ledger_written_at":"2026-03-01T12:05:00Z"', f'"ledger_written_at":{OVERFLOWING}'),
    ('"ledger_sequence":', '"ledger_sequence":"1'),
    ('"ledger_partition":"2026-03-01"', '"ledger_partition":"2026-03-02"'),
    ('"signal_id":"OMEN-', '"signal_id":"OMEN-F'),
    ('"schema_version":1,"event"', '"schema_version":1,"extra":0,"event"'),
    ('"category":"weather"', '"category":7'),
    ('{"schema_version"', '["schema_version"'),
    ('"payload":{', '"payload":{"signal_id":"OMEN-X","ledger_sequence":"'),
)


def payload_edited(files: Files, rng: random.Random) -> str:
    """An edit that makes the payload an invalid record, its CRC recomputed: only parsing can tell."""
    path = _segment(files, rng)
    if path is None:
        return "nothing"
    frames = _frames(files[path][0])
    if not frames:
        return "no frames to edit"
    index = rng.randrange(len(frames))
    old, new = rng.choice(_PAYLOAD_EDITS)
    payloads = [payload for _, payload in frames]
    if old.encode() not in payloads[index]:
        return "edit did not apply"
    payloads[index] = payloads[index].replace(old.encode(), new.encode(), 1)
    files[path][0] = _reframed(files[path][0], payloads)
    return f"payload edit {old!r} in {path}"


_MANIFEST_EDITS: tuple[tuple[str, str], ...] = (
    ('"updated_at":"', f'"updated_at":{OVERFLOWING},"y":"'),
    ('"sealed":true', '"sealed":false'),
    ('"sealed":false', '"sealed":true'),
    ('"record_count":3', '"record_count":2'),
    ('"record_count":3', '"record_count":"3"'),
    ('"highwater_sequence":', '"highwater_sequence":1'),
    ('"size_bytes":', '"size_bytes":1'),
    ('"partition":"2026-03-01"', '"partition":"2026-03-01\\n"'),
    ('"name":"segment-000001.log"', '"name":"segment-000009.log"'),
    ('"revision":', '"revision":-'),
    ('{', '['),
)


def manifest_damaged(files: Files, rng: random.Random) -> str:
    path = f"{ROOT}/{PARTITION}/_manifest.json"
    if path not in files:
        return "no manifest"
    old, new = rng.choice(_MANIFEST_EDITS)
    files[path][0] = files[path][0].replace(old.encode(), new.encode(), 1)
    return f"manifest edit {old!r}"


def file_deleted(files: Files, rng: random.Random) -> str:
    path = rng.choice(sorted(files))
    del files[path]
    return path


def active_made_read_only(files: Files, rng: random.Random) -> str:
    path = max((p for p in files if p.endswith(".log")), default=None)
    if path is not None:
        files[path][1] = 0o444
        if rng.random() < 0.7 and files[path][0]:
            buffer = bytearray(files[path][0])
            buffer[-1 - rng.randrange(min(40, len(buffer)))] ^= 0x04
            files[path][0] = bytes(buffer)
    return str(path)


DAMAGES: tuple[Callable[[Files, random.Random], str], ...] = (
    bit_flips, substitution, truncation, insertion, garbage_appended, huge_length, frames_moved,
    payload_edited, manifest_damaged, file_deleted, active_made_read_only,
)


# ------------------------------------------------------------------------------------------ checks

class FuzzFailure(AssertionError):
    """A variant broke a promise of the reader; the message names the variant."""


def _is_in_order_subsequence(found: list[bytes], written: tuple[bytes, ...]) -> bool:
    position = {payload: index for index, payload in enumerate(written)}
    indices = [position.get(payload) for payload in found]
    return None not in indices and all(a < b for a, b in zip(indices, indices[1:]))  # type: ignore[operator]


def _validated_payload(record) -> bytes:  # noqa: ANN001
    record.record  # the full validation a lazy record defers: it must raise on anything not written
    return record.payload


def _typed(outcomes: Counter, label: str, call: Callable[[], object]) -> object:
    try:
        value = call()
    except LedgerCorruptionError:
        outcomes[f"{label}: corruption"] += 1
        return None
    except Exception as error:  # noqa: BLE001 - the very thing under test: nothing untyped escapes
        raise FuzzFailure(f"{label} raised {type(error).__name__}: {error}") from error
    outcomes[f"{label}: read"] += 1
    return value


def check_variant(base: Base, files: Files, *, accountable: bool, outcomes: Counter) -> None:
    """Every entry point on one damaged ledger: typed errors, original records in order, loss accounted."""
    fs = MemoryFs({path: (data, mode) for path, (data, mode) in files.items()})
    reader = LedgerReader(ROOT, fs=fs)
    strict = _typed(outcomes, "read_partition", lambda: [r.to_payload() for r in reader.read_partition(PARTITION)])
    if strict is not None and not _is_in_order_subsequence(strict, base.payloads):  # type: ignore[arg-type]
        raise FuzzFailure("read_partition yielded a record the writer did not write, or out of order")
    scanned = _typed(outcomes, "scan_partition", lambda: [_validated_payload(r) for r in reader.scan_partition(PARTITION)])
    if scanned is not None and not _is_in_order_subsequence(scanned, base.payloads):  # type: ignore[arg-type]
        raise FuzzFailure("scan_partition yielded a record the writer did not write, or out of order")
    _typed(outcomes, "get_partition_info", lambda: reader.get_partition_info(PARTITION))
    _typed(outcomes, "query_by_category", lambda: reader.query_by_category("weather"))
    _typed(outcomes, "query_by_time_range", lambda: reader.query_by_time_range(DAY - timedelta(days=1), DAY + timedelta(days=1)))
    result = _typed(outcomes, "salvage_partition", lambda: reader.salvage_partition(PARTITION))
    if result is None:
        raise FuzzFailure("salvage_partition raised on damage: it must read past it")
    salvaged = [record.payload for record in result.records]  # type: ignore[attr-defined]
    if not _is_in_order_subsequence(salvaged, base.payloads):
        raise FuzzFailure("salvage returned a record the writer did not write, or out of order")
    _check_passes_between_scrubs(base, files, outcomes)
    if accountable:
        kept = {record.sequence for record in result.records}  # type: ignore[attr-defined]
        for sequence in range(1, len(base.payloads) + 1):
            if sequence in kept:
                continue
            if not any(loss.sequence_first <= sequence <= (loss.sequence_last or sequence)
                       for loss in result.losses):  # type: ignore[attr-defined]
                raise FuzzFailure(f"salvage lost sequence {sequence} without reporting it")


def _outcome(call: Callable[[], object]) -> object:
    """What `call` gives: its value, or the text of the LedgerCorruptionError it raised."""
    try:
        return call()
    except LedgerCorruptionError as error:
        return f"corruption: {error}"


def _check_passes_between_scrubs(base: Base, files: Files, outcomes: Counter) -> None:
    """A reader that verified the ledger before the damage (its memo and its run of closed segments,
    see LedgerReader.get_partition_info), then meets it: a pass between scrubs raises only typed
    errors (it may not see damage to a closed segment yet); a full read answers what a fresh
    reader's full read answers; and once the full read has seen the damage, a pass between scrubs
    answers exactly what it answered (no stale verification survives a read that saw other bytes)."""
    fs = MemoryFs({path: (data, mode) for path, (data, mode) in base.files.items()})
    remembering = LedgerReader(ROOT, fs=fs)
    _typed(outcomes, "get_partition_info before the damage", lambda: remembering.get_partition_info(PARTITION))
    _typed(outcomes, "a pass between scrubs before the damage",
           lambda: remembering.get_partition_info(PARTITION, reread_closed=False))
    fs.files = {path: [data, mode] for path, (data, mode) in files.items()}
    _typed(outcomes, "a pass between scrubs after the damage",
           lambda: remembering.get_partition_info(PARTITION, reread_closed=False))
    full = _outcome(lambda: remembering.get_partition_info(PARTITION))
    fresh = _outcome(lambda: LedgerReader(ROOT, fs=MemoryFs(
        {path: (data, mode) for path, (data, mode) in files.items()})).get_partition_info(PARTITION))
    if full != fresh:
        raise FuzzFailure(f"a full read by a reader that verified the ledger before answered {full!r}, "
                          f"a fresh reader {fresh!r}")
    between = _outcome(lambda: remembering.get_partition_info(PARTITION, reread_closed=False))
    if between != full:
        raise FuzzFailure(f"after a full read answered {full!r}, a pass between scrubs answered {between!r}")


def damaged_variant(base: Base, rng: random.Random) -> tuple[Files, list[str], bool]:
    files: Files = {path: [data, mode] for path, (data, mode) in base.files.items()}
    count = rng.choice((1, 1, 1, 2, 3))
    applied = []
    manifest_touched = False
    for _ in range(count):
        damage = rng.choice(DAMAGES)
        manifest_touched |= damage in (manifest_damaged, file_deleted)
        applied.append(f"{damage.__name__}({damage(files, rng)})")
    accountable = base.sealed and count == 1 and not manifest_touched and not applied[0].startswith("bit_flips(_manifest")
    accountable = accountable and all(not a.startswith(("substitution(_manifest", "insertion(_manifest")) for a in applied)
    return files, applied, accountable


def run_long(variants: int, seed: int, report: Callable[[str], None]) -> dict[str, object]:
    """`variants` damaged ledgers from a PRNG seeded with `seed`; raises FuzzFailure on the first broken promise."""
    assert variants >= 1
    bases = build_bases()
    rng = random.Random(seed)
    outcomes: Counter = Counter()
    started = time.perf_counter()
    for number in range(1, variants + 1):
        base = bases[number % len(bases)]
        files, applied, accountable = damaged_variant(base, rng)
        try:
            check_variant(base, files, accountable=accountable, outcomes=outcomes)
        except FuzzFailure as failure:
            raise FuzzFailure(f"variant {number} (seed {seed}, base {base.name}, damage {applied}): {failure}") from failure
        if number % VARIANTS_PER_REPORT == 0:
            elapsed = time.perf_counter() - started
            report(f"{number:,} variants, {number / elapsed:,.0f}/s, no broken promise")
    elapsed = time.perf_counter() - started
    return {"variants": variants, "seed": seed, "seconds": round(elapsed, 1),
            "variants_per_s": round(variants / elapsed, 1), "outcomes": dict(sorted(outcomes.items()))}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scenarios.ledger_fuzz", description=__doc__.split("\n\n")[0])
    parser.add_argument("--variants", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if args.variants < 1:
        parser.error("--variants must be at least 1")
    try:
        summary = run_long(args.variants, args.seed, lambda line: print(line, file=sys.stderr, flush=True))
    except FuzzFailure as failure:
        print(f"BROKEN PROMISE: {failure}", file=sys.stderr)
        return 1
    print(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
