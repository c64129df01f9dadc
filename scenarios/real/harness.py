"""The real twin's harness: starts the three processes and the proxy, feeds the workload, carries out
the nemesis' schedule, and records every observation in the history.

What it records is what the checkers read, in the simulation's event kinds:
- `emit.result` from OMEN's JSON lines; `reconcile.result` from the reconciler's, with the state the
  database holds right after the pass (read from the file, not taken from the job's word);
- `net.send` and `ingest.result` from the proxy, which sees every request and every answer;
- `reconcile.state`: each reconcile state row that changed, against the ledger files and the rows;
- `ledger.sealed`: a sealed manifest seen in the files, with its segments' hashes;
- at every kill, a snapshot of the database then the ledger files (`ledger.recovered`);
- `fault` for every nemesis action, counted by kind (`kill.omen`, `proxy.drop_response`, ...).
"""
from __future__ import annotations

import asyncio
import contextlib
import json
import struct
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from scenarios.observers import CrashSnapshot
from scenarios.real import database_rows, ledger_files
from scenarios.real.context import RealObservations
from scenarios.real.history import History
from scenarios.real.nemesis import PROCESS_NAMES, NemesisAction
from scenarios.real.processes import ManagedProcess, launcher_argv
from scenarios.real.proxy import FaultyProxy
from scenarios.workload import PlannedSignal

READY_TIMEOUT_S = 60.0
WRITE_TIMEOUT_S = 2.0
BACKLOG_MAX = 100_000
BACKLOG_RETRY_S = 0.2
UNEXPECTED_RESTARTS_MAX = 20
SEAL_POLL_S = 0.5
STALLED_PASSES_MAX = 12  # as the simulation: this many passes without progress end the liveness phase
TORN_TAIL_BYTES = struct.pack(">II", 300, 0) + b'{"event":{"signal_id":"TORN-TAIL'  # a frame cut short


@dataclass(frozen=True)
class HarnessConfig:
    run_dir: Path
    seed: int
    bug: str | None
    group_commit: int
    clock_offset_s: float
    reconcile_every_s: float = 1.0
    seal_every_s: float = 1.0
    seal_grace_s: float = 2.0
    push_timeout_s: float = 1.0


def _is_main(partition: str) -> bool:
    return not partition.endswith(ledger_files.LATE_SUFFIX)


class Harness:
    def __init__(self, config: HarnessConfig) -> None:
        self.config = config
        self.ledger_root = config.run_dir / "ledger"
        self.db_path = config.run_dir / "riskcast.db"
        self.logs = config.run_dir / "logs"
        self.ledger_root.mkdir(parents=True, exist_ok=True)
        self.logs.mkdir(parents=True, exist_ok=True)
        self.history = History(config.run_dir / "history.jsonl")
        self.observations = RealObservations()
        self.faults: Counter[str] = Counter()
        self.emits: Counter[str] = Counter()
        self.recovery_s: dict[str, list[float]] = {name: [] for name in PROCESS_NAMES}
        self._tail = ledger_files.LedgerTail(self.ledger_root)
        self._state_seen: dict[str, tuple[Any, Any]] = {}
        self._clock_offset_s = config.clock_offset_s
        self._accepting_restarts = True
        self._unexpected_restarts = 0
        self._background: set[asyncio.Task[Any]] = set()
        self.harness_errors: list[str] = []
        self._nemesis_tasks: set[asyncio.Task[Any]] = set()
        self._backlog: list[PlannedSignal] = []
        self._unreported: dict[int, dict[int, PlannedSignal]] = {}  # incarnation -> input line -> signal
        self._lines_written: dict[int, int] = {}
        self.passes: asyncio.Queue[tuple[int, bool]] = asyncio.Queue(maxsize=10_000)
        self.processes = {
            "omen": ManagedProcess("omen", self.logs / "omen.log", self._on_line, self._on_exit, stdin_pipe=True),
            "riskcast": ManagedProcess("riskcast", self.logs / "riskcast.log", self._on_line, self._on_exit),
            "reconciler": ManagedProcess("reconciler", self.logs / "reconciler.log", self._on_line, self._on_exit),
        }
        self.riskcast_port = 0
        self.proxy: FaultyProxy | None = None
        self.proxy_ports: dict[str, int] = {}

    # ---- starting ------------------------------------------------------------------------
    async def start_all(self) -> None:
        self.riskcast_port = free_port()
        self.proxy = FaultyProxy(self.riskcast_port, self.history.record, seed=self.config.seed,
                                 observe_send=self._observe_send, count_fault=self._count)
        for client in ("omen", "reconciler"):
            self.proxy_ports[client] = await self.proxy.listen(client)
        await self.start("riskcast")
        if not await self.processes["riskcast"].wait_ready(READY_TIMEOUT_S):
            raise HarnessError("riskcast serve did not become ready", self.logs / "riskcast.log")
        await self.start("reconciler")
        await self.start("omen")
        for name in ("reconciler", "omen"):
            if not await self.processes[name].wait_ready(READY_TIMEOUT_S):
                raise HarnessError(f"{name} did not become ready", self.logs / f"{name}.log")
        self._spawn(self._poll_seals())

    def _argv(self, name: str, *, omen_input: str = "-") -> list[str]:
        db, ledger = str(self.db_path), str(self.ledger_root)
        if name == "riskcast":
            args = ["serve", "--db", db, "--ledger", ledger, "--host", "127.0.0.1", "--port", str(self.riskcast_port)]
            return launcher_argv("riskcast", args, self.config.bug)
        if name == "reconciler":
            args = ["reconcile", "--db", db, "--ledger", ledger, "--url", f"http://127.0.0.1:{self.proxy_ports[name]}",
                    "--every", str(self.config.reconcile_every_s), "--replay-timeout-s", "1.0"]
            return launcher_argv("riskcast", args, self.config.bug)
        args = ["run", "--ledger", ledger, "--riskcast", f"http://127.0.0.1:{self.proxy_ports['omen']}",
                "--group-commit", str(self.config.group_commit), "--input", omen_input,
                "--seal-every-s", str(self.config.seal_every_s), "--seal-grace-s", str(self.config.seal_grace_s),
                "--push-timeout-s", str(self.config.push_timeout_s), "--clock-offset-s", f"{self._clock_offset_s:.6f}"]
        return launcher_argv("omen", args, self.config.bug)

    async def start(self, name: str, *, omen_input: str = "-") -> None:
        process = self.processes[name]
        probe = self._riskcast_healthy if name == "riskcast" else None
        await process.start(self._argv(name, omen_input=omen_input), ready_probe=probe)
        self.history.record(name, "node.start", incarnation=process.incarnation)

    async def _riskcast_healthy(self) -> bool:
        try:
            reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", self.riskcast_port), 1.0)
        except (OSError, TimeoutError):
            return False
        try:
            writer.write(b"GET /healthz HTTP/1.1\r\nHost: riskcast\r\nConnection: close\r\n\r\n")
            await writer.drain()
            answer = await asyncio.wait_for(reader.read(1024), 1.0)
        except (OSError, TimeoutError):
            return False
        finally:
            writer.close()
        return answer.startswith(b"HTTP/1.1 200")

    # ---- what the processes say --------------------------------------------------------------
    def _on_line(self, name: str, incarnation: int, document: dict[str, Any]) -> None:
        kind = document.get("kind")
        if kind == "emit":
            self._unreported.get(incarnation, {}).pop(int(document.get("line") or 0), None)
            self.emits[str(document.get("status"))] += 1
            self.history.record("omen", "emit.result", signal_id=document.get("signal_id"),
                                status=document.get("status"), partition=document.get("partition"),
                                sequence=document.get("sequence"), ack_id=document.get("ack_id"),
                                error=document.get("error"), incarnation=incarnation)
        elif kind == "seal":
            self.history.record("omen", "seal.done", partition=document.get("partition"))
            self.observe_seals()
        elif kind == "pass":
            self._on_reconcile_pass(document)
        elif kind == "input_error":
            self._unreported.get(incarnation, {}).pop(int(document.get("line") or 0), None)
            index = self.history.record(name, "input.error", **document)
            self.observations.unexpected_errors.append((index, f"{name}: the harness fed a bad line: {document}"))
        else:
            self.history.record(name, f"process.{kind}", incarnation=incarnation,
                                **{k: v for k, v in document.items() if k != "kind"})

    def _on_reconcile_pass(self, document: dict[str, Any]) -> None:
        state_highwater = {row[0]: row[1] for row in database_rows.reconcile_state(self.db_path)}
        results = document.get("results") or []
        for result in results:
            self.history.record(
                "reconciler", "reconcile.result", state_highwater=state_highwater.get(result.get("partition")),
                scrub=bool(document.get("scrub")), partition=result.get("partition"), status=result.get("status"),
                reason=result.get("reason"), replayed=result.get("replayed_ids") or [],
                failed=result.get("failed_ids") or [], extra=result.get("extra_ids") or [],
                highwater=result.get("highwater"), revision=result.get("revision"))
        self._observe_reconcile_state()
        quiescent = all(result.get("status") == "up_to_date" for result in results)
        with contextlib.suppress(asyncio.QueueFull):
            self.passes.put_nowait((int(document.get("pass") or 0), quiescent))

    def _observe_reconcile_state(self) -> None:
        """Each state row that changed: the ids it claims are covered, against the stored rows.
        Read in this order (state, rows, ledger) so a row stored meanwhile can only hide a gap."""
        rows = database_rows.reconcile_state(self.db_path)
        changed = [(p, h) for p, h, at in rows if h is not None and self._state_seen.get(p) != (h, at)]
        self._state_seen.update({p: (h, at) for p, h, at in rows})
        if not changed:
            return
        stored = database_rows.stored_ids(self.db_path)
        if stored is None:
            return
        for partition, highwater in changed:
            covered = {sid for sid, seq in ledger_files.visible_records(self.ledger_root, partition)
                       if seq <= int(highwater)}
            self.history.record("reconciler", "reconcile.state", partition=partition, highwater=int(highwater),
                                missing=sorted(covered - stored))

    def _on_exit(self, name: str, incarnation: int, code: int | None, stderr_tail: str) -> None:
        """A process died without the harness killing it: a finding, and the supervisor restarts it."""
        index = self.history.record(name, "process.died", incarnation=incarnation, code=code)
        if name == "omen":
            self._redeliver(incarnation)
        last_line = stderr_tail.strip().splitlines()[-1] if stderr_tail.strip() else ""
        self.observations.unexpected_errors.append(
            (index, f"{name} exited by itself with code {code}: {last_line[:300]}"))
        if self._accepting_restarts and self._unexpected_restarts < UNEXPECTED_RESTARTS_MAX:
            self._unexpected_restarts += 1
            self._spawn(self._restart_later(name, incarnation, 0.5))

    # ---- what the proxy sees ------------------------------------------------------------------
    def _observe_send(self, client: str, fields: dict[str, Any]) -> dict[str, Any]:
        """Is the pushed signal's record in the ledger files at this instant? If not, it is certainly
        not durable (`durable: False`); if it is, a real run cannot tell whether it is durable yet
        (the page cache may hold it alone), so `durable` stays None (see docs/real-twin.md)."""
        signal_id, partition = fields.get("signal_id"), fields.get("partition")
        if client == "reconciler":
            self.observe_seals()  # a seal the reconciler acts on is on record before its replay
        if signal_id is not None and partition is not None:
            in_files = self._tail.contains(str(partition), str(signal_id))
            fields["in_ledger_files"] = in_files
            fields["durable"] = None if in_files else False
        return fields

    def _count(self, kind: str) -> None:
        self.faults[kind] += 1

    # ---- the ledger's seals --------------------------------------------------------------------
    def observe_seals(self) -> None:
        for partition in ledger_files.partitions(self.ledger_root):
            if (_is_main(partition) and partition not in self.observations.sealed_at_index
                    and ledger_files.manifest_says_sealed(self.ledger_root, partition)):
                segments = ledger_files.segment_hashes(self.ledger_root, partition)
                index = self.history.record("omen", "ledger.sealed", partition=partition, segments=segments)
                self.observations.record_seal(partition, index, segments)

    async def _poll_seals(self) -> None:
        for _ in range(10_000_000):
            await asyncio.sleep(SEAL_POLL_S)
            self.observe_seals()

    # ---- the workload ----------------------------------------------------------------------------
    async def feed(self, planned: list[PlannedSignal], started_s: float, *, drain_s_max: float) -> int:
        """Hand each signal to OMEN at its time; while OMEN is down or paused keep a bounded backlog and
        hand it over once OMEN is back. Like a real feed that redelivers what was never acknowledged,
        the signals a killed OMEN took but never reported on are handed over again (same inputs, so
        the same signal_id). Returns the signals never handed over."""
        for item in planned:
            delay_s = started_s + item.at_s - self.history.elapsed_s()
            if delay_s > 0:
                await asyncio.sleep(delay_s)
            self._backlog.append(item)
            if len(self._backlog) > BACKLOG_MAX:
                dropped = self._backlog.pop(0)
                self.history.record("source", "emit.dropped", signal_index=dropped.index, reason="backlog_full")
            await self._hand_over()
        for _ in range(int(drain_s_max / BACKLOG_RETRY_S) + 1):
            if not self._backlog:
                break
            await asyncio.sleep(BACKLOG_RETRY_S)
            await self._hand_over()
        for item in self._backlog:
            self.history.record("source", "emit.dropped", signal_index=item.index, reason="omen_down_too_long")
        return len(self._backlog)

    async def _hand_over(self) -> None:
        omen = self.processes["omen"]
        for _ in range(len(self._backlog)):
            if not (self._backlog and omen.alive and omen.ready.is_set() and not omen.paused):
                return
            item = self._backlog[0]
            if not await omen.write_line(input_line(item), WRITE_TIMEOUT_S):
                return
            self._backlog.pop(0)
            taken = self._unreported.setdefault(omen.incarnation, {})
            line_number = self._lines_written.get(omen.incarnation, 0) + 1
            self._lines_written[omen.incarnation] = line_number
            taken[line_number] = item
            self.history.record("source", "emit.handed", signal_index=item.index, incarnation=omen.incarnation,
                                line=line_number)

    def _redeliver(self, incarnation: int) -> None:
        """The signals an OMEN incarnation took and never reported on go back to the front of the backlog."""
        lost = self._unreported.pop(incarnation, {})
        if lost:
            self._backlog[:0] = [lost[line] for line in sorted(lost)]
            self.history.record("source", "emit.redeliver", incarnation=incarnation, signals=len(lost))

    # ---- the nemesis' actions ----------------------------------------------------------------------
    async def run_nemesis(self, actions: list[NemesisAction], started_s: float) -> None:
        for action in actions:
            delay_s = started_s + action.at_s - self.history.elapsed_s()
            if delay_s > 0:
                await asyncio.sleep(delay_s)
            self._nemesis_tasks.add(self._spawn(self._act(action)))

    async def _act(self, action: NemesisAction) -> None:
        if action.family == "kill":
            await self.kill(action.target, torn_tail=action.torn_tail)
            await asyncio.sleep(action.duration_s)
            if self._accepting_restarts and not self.processes[action.target].alive:
                await self.restart(action.target)
        elif action.family == "pause":
            process = self.processes[action.target]
            if not process.pause():
                self.history.record("nemesis", "nemesis.skipped", action=action.to_json(), reason="not running")
                return
            incarnation = process.incarnation
            self._fault(f"pause.{action.target}", action.target)
            await asyncio.sleep(action.duration_s)
            if process.incarnation == incarnation and process.resume():
                self.history.record(action.target, "node.resume", incarnation=incarnation)
        else:
            assert self.proxy is not None
            self.proxy.enable(action.target, action.probability)
            self.history.record("nemesis", "proxy.on", kind=action.target, probability=round(action.probability, 3))
            await asyncio.sleep(action.duration_s)
            self.proxy.disable(action.target)
            self.history.record("nemesis", "proxy.off", kind=action.target)

    def _fault(self, kind: str, node: str, **fields: Any) -> int:
        self.faults[kind] += 1
        return self.history.record(node, "fault", fault=kind, **fields)

    async def kill(self, name: str, *, torn_tail: bool = False) -> None:
        process = self.processes[name]
        if not process.alive:
            self.history.record("nemesis", "nemesis.skipped", target=name, reason="already down")
            return
        self._fault(f"kill.{name}", name, incarnation=process.incarnation)
        await process.kill()
        killed_s = self.history.elapsed_s()
        self.history.record(name, "node.crash", cause="SIGKILL", incarnation=process.incarnation)
        self.snapshot(name)
        if name == "omen":
            self._redeliver(process.incarnation)
        if name == "omen" and torn_tail:
            self._tear_active_tail()
        self._spawn(self._time_recovery(name, process.incarnation, killed_s))

    async def restart(self, name: str) -> None:
        if self.processes[name].alive:
            return
        await self.start(name)

    async def _restart_later(self, name: str, incarnation: int, delay_s: float) -> None:
        await asyncio.sleep(delay_s)
        if self._accepting_restarts and self.processes[name].incarnation == incarnation:
            await self.restart(name)

    async def _time_recovery(self, name: str, killed_incarnation: int, killed_s: float) -> None:
        """Kill-to-recovered: from the SIGKILL to the next incarnation being ready (restart delay included)."""
        process = self.processes[name]
        for _ in range(int(READY_TIMEOUT_S / 0.05)):
            if process.incarnation > killed_incarnation and process.ready.is_set():
                recovered_s = self.history.elapsed_s() - killed_s
                self.recovery_s[name].append(round(recovered_s, 3))
                self.history.record(name, "node.recovered", incarnation=process.incarnation,
                                    recovered_s=round(recovered_s, 3))
                return
            await asyncio.sleep(0.05)

    def snapshot(self, killed: str) -> None:
        """The database, then the ledger files, right after a kill (in that order, so a signal stored
        meanwhile was already in the ledger files when they are read, under ledger-first)."""
        stored = database_rows.stored_ids(self.db_path) or set()
        placed: dict[tuple[str, int], str] = {}
        recovered: set[str] = set()
        for partition in ledger_files.partitions(self.ledger_root):
            for signal_id, sequence in ledger_files.visible_records(self.ledger_root, partition):
                placed.setdefault((partition, sequence), signal_id)
                recovered.add(signal_id)
        index = self.history.record(killed, "ledger.recovered", records=len(placed), stored=len(stored))
        self.observations.crash_snapshots.append(CrashSnapshot(index, placed, recovered, stored))
        self.observe_seals()

    def omen_now(self) -> datetime:
        return datetime.now(timezone.utc) + timedelta(seconds=self._clock_offset_s)

    def _tear_active_tail(self) -> None:
        """What a power loss in the middle of an append leaves (a SIGKILL alone leaves whole writes):
        a frame cut short at the end of the segment OMEN appends to next."""
        today = self.omen_now().date().isoformat()
        candidates = [p for p in ledger_files.partitions(self.ledger_root)
                      if _is_main(p) and not ledger_files.manifest_says_sealed(self.ledger_root, p)]
        target = today if today in candidates else (candidates[-1] if candidates else None)
        segments = ledger_files.segment_names(self.ledger_root, target) if target else []
        if target is None or not segments:
            self.history.record("nemesis", "nemesis.skipped", fault="disk.torn_tail", reason="no open segment")
            return
        path = self.ledger_root / target / segments[-1]
        with path.open("ab") as handle:
            handle.write(TORN_TAIL_BYTES)
        self._fault("disk.torn_tail", "omen", partition=target, segment=segments[-1], bytes=len(TORN_TAIL_BYTES))

    # ---- heal, the end of input, the day's end, convergence ------------------------------------------
    async def heal(self) -> None:
        """Nemesis off: proxy faults cleared, paused processes resumed, dead ones restarted."""
        assert self.proxy is not None
        for task in self._nemesis_tasks:  # an action still under way (a restart delay, a pause) ends now
            task.cancel()
        await asyncio.gather(*self._nemesis_tasks, return_exceptions=True)
        self._nemesis_tasks.clear()
        self.proxy.heal()
        for name, process in self.processes.items():
            if process.resume():
                self.history.record(name, "node.resume", incarnation=process.incarnation)
        for name in PROCESS_NAMES:
            if not self.processes[name].alive:
                await self.restart(name)
        for name in PROCESS_NAMES:
            await self.processes[name].wait_ready(READY_TIMEOUT_S)
        self.history.record("world", "heal")

    async def end_input(self) -> None:
        """End OMEN's input: it finishes every emit in flight, seals what is due, and exits 0."""
        code = await self.processes["omen"].finish_input(READY_TIMEOUT_S)
        index = self.history.record("omen", "process.finished", code=code)
        if code != 0:
            self.observations.unexpected_errors.append((index, f"omen did not finish its input cleanly: code {code}"))

    async def seal_the_last_day(self) -> None:
        """Move OMEN's clock past the end of the last day the ledger holds (plus the grace) and run it
        once on empty input: the sealer seals every day, as the simulation's liveness phase does."""
        days = [p for p in ledger_files.partitions(self.ledger_root) if _is_main(p)]
        if not days:
            return
        day_end = datetime.fromisoformat(max(days)).replace(tzinfo=timezone.utc) + timedelta(days=1)
        target = day_end + timedelta(seconds=self.config.seal_grace_s + 1.0)
        if self.omen_now() < target:
            self._clock_offset_s += (target - self.omen_now()).total_seconds()
        self.history.record("world", "clock.jump", clock_offset_s=round(self._clock_offset_s, 3))
        await self.start("omen", omen_input="/dev/null")
        await self.end_input()
        self.observe_seals()

    async def converge(self, limit_s: float) -> bool:
        """Until every record in the ledger files is stored and a whole reconcile pass found nothing
        to do, or `limit_s` runs out."""
        while not self.passes.empty():
            self.passes.get_nowait()
        deadline_s = self.history.elapsed_s() + limit_s
        missing_before: int | None = None
        stalled_passes = 0
        for _ in range(100_000):
            remaining_s = deadline_s - self.history.elapsed_s()
            if remaining_s <= 0:
                break
            try:
                _, quiescent = await asyncio.wait_for(self.passes.get(), remaining_s)
            except TimeoutError:
                break
            stored = database_rows.stored_ids(self.db_path)
            missing = None if stored is None else len(ledger_files.visible_ids(self.ledger_root) - stored)
            if missing == 0 and quiescent:
                self.observations.converged = True
                self.history.record("world", "converged")
                return True
            if missing is not None:
                stalled = missing_before is not None and missing >= missing_before
                stalled_passes = stalled_passes + 1 if stalled else 0
                missing_before = missing
                if stalled_passes >= STALLED_PASSES_MAX:
                    break  # reconcile makes no progress: waiting longer cannot converge
        self.history.record("world", "not_converged", missing=missing_before)
        return False

    async def stop_all(self) -> None:
        self._accepting_restarts = False
        for task in list(self._background):
            task.cancel()
        for task in list(self._background):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        for name in ("omen", "reconciler", "riskcast"):
            code = await self.processes[name].stop()
            self.history.record(name, "node.stop", code=code)
            await self.processes[name].close()
        if self.proxy is not None:
            await self.proxy.close()
        self.observe_seals()

    def _spawn(self, work: Any) -> asyncio.Task[Any]:
        task = asyncio.create_task(work)
        self._background.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        """A harness task that failed is the harness's bug, never the system's: the run must say so."""
        self._background.discard(task)
        if not task.cancelled() and task.exception() is not None:
            error = task.exception()
            self.harness_errors.append(f"{type(error).__name__}: {error}")
            self.history.record("harness", "harness.error", error=f"{type(error).__name__}: {error}")


class HarnessError(RuntimeError):
    """The harness could not set the run up (a process never became ready): not a verdict."""

    def __init__(self, message: str, log_path: Path) -> None:
        tail = ""
        with contextlib.suppress(OSError):
            tail = log_path.read_text(encoding="utf-8", errors="replace")[-1500:]
        super().__init__(f"{message}; its log ({log_path}) ends with:\n{tail}")


def input_line(item: PlannedSignal) -> bytes:
    """One `omen run` input line for a planned signal (emitted when OMEN takes it: no lag)."""
    inputs = dict(item.input_event)
    document = {"event_id": item.event_id, "input_event": inputs, "category": item.category,
                "ruleset_version": item.ruleset_version, "payload": {"index": item.index, "severity": inputs["severity"]}}
    return (json.dumps(document, sort_keys=True) + "\n").encode()


def free_port() -> int:
    import socket

    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
