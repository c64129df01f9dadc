"""The inline SQL runner: calls the SQL function on the caller's task, after an optional latency.

WHY: in the simulation, SQLite work must be deterministic and must interleave with other tasks.
Awaiting a seeded `latency()` before each call is the only suspension point; the SQL function
itself runs to completion without an await, so a transaction is never split.
"""
from __future__ import annotations

import sqlite3
from collections.abc import Awaitable, Callable
from typing import TypeVar

from riskcast.tables import init_schema

T = TypeVar("T")


class InlineSqlRunner:
    def __init__(
        self,
        conn: sqlite3.Connection,
        latency: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self._conn = conn
        self._latency = latency
        init_schema(conn)

    @classmethod
    def in_memory(cls, latency: Callable[[], Awaitable[None]] | None = None) -> "InlineSqlRunner":
        """A fresh private in-memory database (tests, simulated nodes)."""
        return cls(sqlite3.connect(":memory:"), latency)

    @property
    def connection(self) -> sqlite3.Connection:
        return self._conn

    async def run(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        if self._latency is not None:
            await self._latency()
        return fn(self._conn)

    def close(self) -> None:
        self._conn.close()
