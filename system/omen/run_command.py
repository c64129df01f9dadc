"""`omen run`: the real pipeline as one process. REAL ADAPTER (wall clock, real disk, real HTTP).

Reads signal inputs as JSON Lines (a file or stdin), builds each `SignalEvent`, writes it with the
real `LedgerWriter` on the real disk (`fs=os`), pushes it with the `SignalEmitter` over httpx to
RiskCast's ingest URL, and runs the sealer on a timer. Every outcome is one JSON line on stdout, so
a supervisor (or a test bed) learns exactly what this process did without trusting anything else:

    {"kind": "ready", ...}                      the ledger is open, inputs are being read
    {"kind": "emit", "line": 3, "signal_id": ..., "status": "delivered", "partition": ...,
     "sequence": ..., "ack_id": ..., "attempts": 1, "error": null}
    {"kind": "input_error", "line": 4, "error": "..."}   a bad input line; nothing else is lost
    {"kind": "seal", "partition": "2026-01-01"} / {"kind": "seal_failed", ...}
    {"kind": "summary", "emits": {...}, "input_errors": N}

An input line is a JSON object: `event_id`, `input_event` (object), `category`, optionally
`ruleset_version`, `payload` (object) and `observed_at` (ISO 8601 with a UTC offset). The signal is
emitted now (`emitted_at` is this process's clock). At the end of input the command waits for every
emit in flight, runs one last seal pass and exits 0. `--clock-offset-s` shifts this process's clock
(a replay of a past day, or a test bed that wants a day to end within a minute).
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timedelta, timezone
from typing import IO, Any

from omen.clock import Clock, SystemClock
from omen.emitter import BackpressureController, EmitResult, SignalEmitter
from omen.ledger import LedgerWriteError, LedgerWriter
from omen.ledger.group_commit import GroupCommitter
from omen.schema import SignalEvent
from omen.transport import HttpxTransport

INGEST_PATH = "/api/v1/signals/ingest"
INPUT_LINE_BYTES_MAX = 1024 * 1024
INPUT_LINES_MAX = 100_000_000
SEAL_PASSES_MAX = 10_000_000
DEFAULT_RULESET = "rules-2026.1"
INPUT_KEYS = frozenset({"event_id", "input_event", "category", "ruleset_version", "payload", "observed_at"})


class InputLineError(ValueError):
    """One input line is not a signal input; the line is reported and skipped."""


class ShiftedClock:
    """The system clock moved by a fixed offset: one process's idea of 'now', shifted on purpose."""

    def __init__(self, inner: Clock, offset_s: float) -> None:
        self._inner = inner
        self._offset = timedelta(seconds=offset_s)

    def now(self) -> datetime:
        return self._inner.now() + self._offset


def add_parser(commands: Any) -> None:
    run = commands.add_parser("run", help="read signal inputs, write them to the ledger, push them to RiskCast")
    run.add_argument("--ledger", required=True, help="ledger root directory (created if missing)")
    run.add_argument("--riskcast", required=True,
                     help=f"RiskCast base URL, e.g. http://127.0.0.1:8000 (the ingest path {INGEST_PATH} is added)")
    run.add_argument("--group-commit", type=int, default=0, metavar="N",
                     help="0: one fsync per record (default); N: concurrent writes share fsyncs, N per batch")
    run.add_argument("--input", default="-", help="JSON Lines file of signal inputs, or - for stdin (default)")
    run.add_argument("--in-flight-max", type=int, default=64, help="emits in progress at once (default 64)")
    run.add_argument("--push-timeout-s", type=float, default=2.0, help="total deadline of one push (default 2)")
    run.add_argument("--seal-every-s", type=float, default=30.0, help="seconds between seal passes (default 30)")
    run.add_argument("--seal-grace-s", type=float, default=120.0,
                     help="a day's partition is sealed this long after the UTC day ended (default 120)")
    run.add_argument("--clock-offset-s", type=float, default=0.0,
                     help="shift this process's clock by this many seconds (default 0)")
    run.set_defaults(handler=main_run)


def ingest_url_of(base_url: str) -> str:
    base = base_url.rstrip("/")
    return base if base.endswith(INGEST_PATH) else base + INGEST_PATH


def parse_input_line(line: bytes, clock: Clock) -> SignalEvent:
    """The signal of one input line, emitted now by `clock`; InputLineError says what is wrong."""
    try:
        document = json.loads(line)
    except ValueError as error:
        raise InputLineError(f"not JSON: {error}") from None
    if not isinstance(document, dict):
        raise InputLineError("an input line must be a JSON object")
    unknown = sorted(set(document) - INPUT_KEYS)
    if unknown:
        raise InputLineError(f"unknown key(s) {unknown}; known: {sorted(INPUT_KEYS)}")
    for key, kind in (("event_id", str), ("input_event", dict), ("category", str)):
        if not isinstance(document.get(key), kind):
            raise InputLineError(f"{key!r} is required and must be a {kind.__name__}")
    now = clock.now()
    observed_at = now
    if "observed_at" in document:
        try:
            observed_at = datetime.fromisoformat(str(document["observed_at"]).replace("Z", "+00:00"))
        except ValueError:
            raise InputLineError(f"observed_at {document['observed_at']!r} is not ISO 8601") from None
        if observed_at.utcoffset() is None:
            raise InputLineError("observed_at needs a UTC offset (e.g. 2026-01-01T12:00:00+00:00)")
    payload = document.get("payload", {})
    if not isinstance(payload, dict):
        raise InputLineError("'payload' must be an object")
    try:
        return SignalEvent.create(
            event_id=document["event_id"], input_event=document["input_event"],
            ruleset_version=str(document.get("ruleset_version", DEFAULT_RULESET)), category=document["category"],
            observed_at=observed_at.astimezone(timezone.utc), emitted_at=now, payload=payload,
        )
    except ValueError as error:  # pydantic's ValidationError is a ValueError
        raise InputLineError(f"not a valid signal: {error}") from None


def emit_line(result: EmitResult, line_number: int) -> dict[str, Any]:
    return {
        "kind": "emit", "line": line_number, "signal_id": result.signal_id, "status": str(result.status.value),
        "partition": result.ledger_partition, "sequence": result.ledger_sequence, "ack_id": result.ack_id,
        "attempts": result.attempts, "error": result.error,
    }


class _Output:
    """One JSON document per stdout line, flushed at once: a supervisor may kill us any moment."""

    def __init__(self, stream: IO[str]) -> None:
        self._stream = stream

    def write(self, document: dict[str, Any]) -> None:
        self._stream.write(json.dumps(document, sort_keys=True) + "\n")
        self._stream.flush()


def _file_lines(path: str) -> Iterator[bytes]:
    with open(path, "rb") as handle:
        for count, line in enumerate(handle, start=1):
            assert count <= INPUT_LINES_MAX, f"more than {INPUT_LINES_MAX} input lines"
            yield line


async def _input_lines(path: str) -> AsyncIterator[bytes]:
    """Lines of the input; a pipe on stdin is read without blocking the loop (pushes keep flowing)."""
    if path != "-":
        for line in _file_lines(path):
            yield line
            await asyncio.sleep(0)
        return
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=INPUT_LINE_BYTES_MAX)
    try:
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin.buffer)
    except ValueError:  # stdin is a regular file (a shell redirect): read it directly
        for line in _file_lines("/dev/stdin"):
            yield line
            await asyncio.sleep(0)
        return
    for _ in range(INPUT_LINES_MAX):
        try:
            line = await reader.readline()
        except ValueError:  # a line above the limit: report it as one bad line, keep reading
            yield b"{\"too_long\": true}"
            continue
        if not line:
            return
        yield line


class _Sealer:
    def __init__(self, writer: LedgerWriter, clock: Clock, grace_s: float, out: _Output) -> None:
        self._writer = writer
        self._clock = clock
        self._grace = timedelta(seconds=grace_s)
        self._out = out

    def seal_pass(self) -> None:
        try:
            due = self._writer.get_partitions_to_seal(self._clock.now(), self._grace)
        except LedgerWriteError as error:
            self._out.write({"kind": "seal_failed", "partition": None, "error": str(error)})
            return
        for partition in due:
            try:
                self._writer.seal_partition(partition)
            except LedgerWriteError as error:
                self._out.write({"kind": "seal_failed", "partition": partition, "error": str(error)})
                continue
            self._out.write({"kind": "seal", "partition": partition})

    async def loop(self, every_s: float) -> None:
        for _ in range(SEAL_PASSES_MAX):
            await asyncio.sleep(every_s)
            self.seal_pass()


async def run_pipeline(args: argparse.Namespace, out: _Output) -> int:
    clock: Clock = ShiftedClock(SystemClock(), args.clock_offset_s) if args.clock_offset_s else SystemClock()
    writer = LedgerWriter(args.ledger, fs=os, clock=clock)
    ledger: Any = GroupCommitter(writer, max_batch=args.group_commit) if args.group_commit else writer
    sealer = _Sealer(writer, clock, args.seal_grace_s, out)
    statuses: Counter[str] = Counter()
    input_errors = 0
    async with HttpxTransport() as transport:
        emitter = SignalEmitter(ledger, transport, ingest_url_of(args.riskcast),
                                backpressure=BackpressureController(max_in_flight=args.in_flight_max),
                                push_timeout_s=args.push_timeout_s)
        out.write({"kind": "ready", "pid": os.getpid(), "ledger": args.ledger, "group_commit": args.group_commit})
        sealer.seal_pass()
        seal_task = asyncio.create_task(sealer.loop(args.seal_every_s))
        slots = asyncio.Semaphore(args.in_flight_max)
        in_flight: set[asyncio.Task[None]] = set()

        async def emit_one(event: SignalEvent, line_number: int) -> None:
            try:
                result = await emitter.emit(event)
                statuses[str(result.status.value)] += 1
                out.write(emit_line(result, line_number))
            finally:
                slots.release()

        line_number = 0
        async for line in _input_lines(args.input):
            line_number += 1
            if not line.strip():
                continue
            try:
                event = parse_input_line(line, clock)
            except InputLineError as error:
                input_errors += 1
                out.write({"kind": "input_error", "line": line_number, "error": str(error)})
                continue
            await slots.acquire()
            task = asyncio.create_task(emit_one(event, line_number))
            in_flight.add(task)
            task.add_done_callback(in_flight.discard)
        if in_flight:
            await asyncio.gather(*in_flight)
        seal_task.cancel()
        sealer.seal_pass()
    writer.close()
    out.write({"kind": "summary", "emits": dict(sorted(statuses.items())), "input_errors": input_errors})
    return 0


def main_run(args: argparse.Namespace) -> int:
    for name in ("group_commit", "in_flight_max"):
        if getattr(args, name) < (0 if name == "group_commit" else 1):
            print(f"omen run: --{name.replace('_', '-')} out of range: {getattr(args, name)}", file=sys.stderr)
            return 2
    for name in ("push_timeout_s", "seal_every_s"):
        if not getattr(args, name) > 0:
            print(f"omen run: --{name.replace('_', '-')} must be > 0, got {getattr(args, name)}", file=sys.stderr)
            return 2
    if args.seal_grace_s < 0:
        print(f"omen run: --seal-grace-s must be >= 0, got {args.seal_grace_s}", file=sys.stderr)
        return 2
    if args.input != "-" and (os.path.isdir(args.input) or not os.access(args.input, os.R_OK)):
        print(f"omen run: --input {args.input!r} is not a readable file", file=sys.stderr)
        return 2
    out = _Output(sys.stdout)
    try:
        return asyncio.run(run_pipeline(args, out))
    except KeyboardInterrupt:
        return 130
