"""The transport port both halves of the system push through (OMEN's emitter, RiskCast's reconcile).

Defined once, here: RiskCast's ports re-export it, as they re-export `omen.clock.Clock`.
`omen.transport.HttpxTransport` is the real adapter; the simulated network is the other.
"""
from __future__ import annotations

from typing import Protocol


class Transport(Protocol):
    """HTTP-shaped request/response. Raises builtin TimeoutError / ConnectionError on failure;
    any HTTP status, 5xx included, is a response, not an exception."""

    async def post(self, url: str, body: bytes, timeout_s: float) -> tuple[int, bytes]: ...
