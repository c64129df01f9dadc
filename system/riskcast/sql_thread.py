"""The real SQL runner: one dedicated thread owns the SQLite file connection.

REAL ADAPTER (allowed to use threads). WHY a single owning thread: the event loop never blocks on
SQLite, the connection is only ever touched by the thread that created it, and all SQL is
serialized, so each sync SQL function is atomic with respect to the others. The file runs in WAL
mode with synchronous=FULL (a commit is durable when it returns) and a busy timeout, so other
processes opening the same file wait instead of failing.
"""
from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from riskcast.tables import init_schema

T = TypeVar("T")


class ThreadSqlRunner:
    def __init__(self, path: str, *, busy_timeout_ms: int = 5_000, pending_max: int = 1_024) -> None:
        assert busy_timeout_ms >= 0, busy_timeout_ms
        assert pending_max >= 1, pending_max
        self._path = path
        self._busy_timeout_ms = busy_timeout_ms
        self._pending_max = pending_max
        self._pending: asyncio.Semaphore | None = None
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="riskcast-sql")
        self._closed = False
        self._conn: sqlite3.Connection = self._executor.submit(self._open).result()

    def _open(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self._path, timeout=self._busy_timeout_ms / 1000.0)
        mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            conn.close()
            raise RuntimeError(
                f"SQLite refused WAL mode for {self._path!r} (got {mode!r}); "
                "put the database on a local filesystem that supports WAL"
            )
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute(f"PRAGMA busy_timeout={int(self._busy_timeout_ms)}")
        init_schema(conn)
        return conn

    def pragma(self, name: str) -> object:
        """Read one PRAGMA on the owning thread (for tests and diagnostics)."""
        assert name.isidentifier(), name
        return self._executor.submit(lambda: self._conn.execute(f"PRAGMA {name}").fetchone()[0]).result()

    async def run(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        if self._closed:
            raise RuntimeError("ThreadSqlRunner is closed; create a new runner to reopen the database")
        if self._pending is None:
            self._pending = asyncio.Semaphore(self._pending_max)
        async with self._pending:
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(self._executor, fn, self._conn)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._executor.submit(self._conn.close).result()
        self._executor.shutdown(wait=True)
