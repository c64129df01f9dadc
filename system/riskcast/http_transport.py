"""RiskCast's real `Transport` port: HTTP POST on httpx, for reconcile replays sent over the network.

REAL ADAPTER. Same contract as the simulated network's transport (see `riskcast.ports.Transport`):
a complete response within `timeout_s` is `(status, body)`, whatever the status; no response in
time is `TimeoutError` (the replay may or may not have been stored: a retry is answered 409); a
destination that cannot be reached, or a connection that breaks first, is `ConnectionError`.
"""
from __future__ import annotations

import asyncio

import httpx

JSON_HEADERS = {"content-type": "application/json"}


class HttpxReplayTransport:
    def __init__(self) -> None:
        self._client = httpx.AsyncClient()

    async def post(self, url: str, body: bytes, timeout_s: float) -> tuple[int, bytes]:
        if timeout_s <= 0:
            raise ValueError(f"timeout_s must be > 0, got {timeout_s}")
        try:
            async with asyncio.timeout(timeout_s):
                response = await self._client.post(url, content=body, headers=JSON_HEADERS, timeout=timeout_s)
        except httpx.TimeoutException as error:
            raise TimeoutError(f"POST {url}: no response within {timeout_s}s") from error
        except httpx.TransportError as error:
            raise ConnectionError(f"POST {url}: connection failed before a response ({error!r})") from error
        return response.status_code, response.content

    async def aclose(self) -> None:
        await self._client.aclose()
