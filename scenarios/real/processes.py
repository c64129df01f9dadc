"""One real OS process the harness starts, watches, kills, pauses and restarts.

Each incarnation's stdout is read as JSON Lines and handed to `on_line`; stderr goes to the
process's log file in the run directory. An exit the harness did not cause is reported through
`on_unexpected_exit` (a finding: the system died by itself). Every wait is bounded.
"""
from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

STDOUT_LINE_BYTES_MAX = 4 * 1024 * 1024
STOP_WAIT_S = 20.0
KILL_WAIT_S = 10.0
STDERR_TAIL_BYTES = 2_000

LineHandler = Callable[[str, int, dict[str, Any]], None]
ExitHandler = Callable[[str, int, int | None, str], None]


def source_root() -> Path:
    """The checkout the harness runs from (it holds `scenarios/` and `system/`)."""
    return Path(__file__).resolve().parents[2]


def child_env() -> dict[str, str]:
    env = dict(os.environ)
    root = source_root()
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(root / "system"), str(root), env.get("PYTHONPATH", "")) if p)
    env["PYTHONUNBUFFERED"] = "1"
    return env


def launcher_argv(program: str, args: list[str], bug: str | None) -> list[str]:
    """The command that starts `program` (omen or riskcast) through the launcher, planting `bug` first."""
    planted = ["--bug", bug] if bug else []
    return [sys.executable, "-m", "scenarios.real.launch", *planted, "--", program, *args]


class ManagedProcess:
    def __init__(self, name: str, log_path: Path, on_line: LineHandler, on_unexpected_exit: ExitHandler,
                 *, stdin_pipe: bool = False) -> None:
        self.name = name
        self.incarnation = 0
        self.paused = False
        self.ready = asyncio.Event()
        self._log_path = log_path
        self._on_line = on_line
        self._on_unexpected_exit = on_unexpected_exit
        self._stdin_pipe = stdin_pipe
        self._process: asyncio.subprocess.Process | None = None
        self._expected_exit = False
        self._tasks: list[asyncio.Task[None]] = []

    @property
    def alive(self) -> bool:
        return self._process is not None and self._process.returncode is None

    @property
    def pid(self) -> int | None:
        return self._process.pid if self.alive and self._process is not None else None

    async def start(self, argv: list[str], *, ready_probe: Callable[[], Awaitable[bool]] | None = None) -> None:
        assert not self.alive, f"{self.name} is already running"
        self.incarnation += 1
        self.ready = asyncio.Event()
        self.paused = False
        self._expected_exit = False
        with self._log_path.open("ab") as log:
            log.write(f"--- incarnation {self.incarnation}: {' '.join(argv)}\n".encode())
            self._process = await asyncio.create_subprocess_exec(
                *argv, stdin=asyncio.subprocess.PIPE if self._stdin_pipe else asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE, stderr=log, env=child_env(), limit=STDOUT_LINE_BYTES_MAX,
            )
        process, incarnation = self._process, self.incarnation
        self._tasks = [task for task in self._tasks if not task.done()]
        self._tasks.append(asyncio.create_task(self._read_stdout(process, incarnation)))
        if ready_probe is not None:
            self._tasks.append(asyncio.create_task(self._probe(process, ready_probe)))

    async def _read_stdout(self, process: asyncio.subprocess.Process, incarnation: int) -> None:
        assert process.stdout is not None
        for _ in range(100_000_000):
            try:
                line = await process.stdout.readline()
            except (ValueError, asyncio.LimitOverrunError):
                continue
            if not line:
                break
            try:
                document = json.loads(line)
            except ValueError:
                document = {"kind": "stdout_text", "text": line.decode("utf-8", "replace")[:500]}
            if not isinstance(document, dict):
                continue
            if document.get("kind") == "ready":
                self.ready.set()
            self._on_line(self.name, incarnation, document)
        code = await process.wait()
        if not self._expected_exit and process is self._process:
            self._on_unexpected_exit(self.name, incarnation, code, self._stderr_tail())

    async def _probe(self, process: asyncio.subprocess.Process, probe: Callable[[], Awaitable[bool]]) -> None:
        for _ in range(10_000):
            if process.returncode is not None:
                return
            if await probe():
                self.ready.set()
                return
            await asyncio.sleep(0.05)

    def _stderr_tail(self) -> str:
        try:
            data = self._log_path.read_bytes()
        except OSError:
            return ""
        return data[-STDERR_TAIL_BYTES:].decode("utf-8", "replace")

    async def wait_ready(self, timeout_s: float) -> bool:
        try:
            await asyncio.wait_for(self.ready.wait(), timeout_s)
        except TimeoutError:
            return False
        return self.alive

    async def write_line(self, line: bytes, timeout_s: float) -> bool:
        """Hand one input line to the process; False if it is gone or its pipe stays full."""
        process = self._process
        if process is None or process.stdin is None or not self.alive:
            return False
        try:
            process.stdin.write(line)
            await asyncio.wait_for(process.stdin.drain(), timeout_s)
        except (BrokenPipeError, ConnectionResetError, TimeoutError, RuntimeError):
            return False
        return True

    async def kill(self) -> None:
        """SIGKILL and reap: nothing of this incarnation runs after this returns."""
        process = self._process
        if process is None or process.returncode is not None:
            return
        self._expected_exit = True
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signal.SIGKILL)
        await asyncio.wait_for(process.wait(), KILL_WAIT_S)
        self.paused = False

    def pause(self) -> bool:
        if not self.alive or self.paused or self._process is None:
            return False
        self._process.send_signal(signal.SIGSTOP)
        self.paused = True
        return True

    def resume(self) -> bool:
        if not self.alive or not self.paused or self._process is None:
            return False
        self._process.send_signal(signal.SIGCONT)
        self.paused = False
        return True

    async def finish_input(self, timeout_s: float) -> int | None:
        """Close stdin (end of input) and wait for the process to exit by itself; its exit code."""
        process = self._process
        if process is None:
            return None
        self.resume()
        self._expected_exit = True
        if process.stdin is not None:
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                process.stdin.close()
        try:
            return await asyncio.wait_for(process.wait(), timeout_s)
        except TimeoutError:
            await self.kill()
            return None

    async def stop(self) -> int | None:
        """SIGTERM, then SIGKILL if it does not exit within STOP_WAIT_S."""
        process = self._process
        if process is None or process.returncode is not None:
            return None if process is None else process.returncode
        self.resume()
        self._expected_exit = True
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signal.SIGTERM)
        try:
            return await asyncio.wait_for(process.wait(), STOP_WAIT_S)
        except TimeoutError:
            await self.kill()
            return None

    async def close(self) -> None:
        if self.alive:
            await self.kill()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
