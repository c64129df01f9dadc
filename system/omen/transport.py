"""The real transport port: HTTP POST on httpx (async).

REAL ADAPTER. The emitter and reconcile only know `post(url, body, timeout_s) -> (status, body)`
and two builtin failures, so the simulated network can stand in for this class exactly:
- `TimeoutError`: no complete response within `timeout_s` (a TOTAL deadline, not per phase);
  the request may or may not have been processed (the ambiguous outcome exactly-once survives);
- `ConnectionError` (`ConnectionRefusedError` when the port refused): the destination could not
  be reached, or the connection broke before a response came.
Any HTTP status, 5xx included, is a response, not an exception: the caller decides.
"""
from __future__ import annotations

import asyncio

import httpx

JSON_HEADERS = {"content-type": "application/json"}


class HttpxTransport:
    def __init__(self, client: httpx.AsyncClient | None = None) -> None:
        self._owns_client = client is None
        self._client = client if client is not None else httpx.AsyncClient()

    async def post(self, url: str, body: bytes, timeout_s: float) -> tuple[int, bytes]:
        if timeout_s <= 0:
            raise ValueError(f"timeout_s must be > 0, got {timeout_s}")
        try:
            async with asyncio.timeout(timeout_s):
                response = await self._client.post(url, content=body, headers=JSON_HEADERS, timeout=timeout_s)
        except httpx.TimeoutException as error:
            raise TimeoutError(f"POST {url}: no response within {timeout_s}s ({type(error).__name__})") from error
        except httpx.ConnectError as error:
            if _caused_by(error, ConnectionRefusedError):
                raise ConnectionRefusedError(f"POST {url}: connection refused") from error
            raise ConnectionError(f"POST {url}: could not connect ({error})") from error
        except httpx.TransportError as error:
            raise ConnectionError(f"POST {url}: connection failed before a response ({error!r})") from error
        return response.status_code, response.content

    async def aclose(self) -> None:
        if self._owns_client:
            await self._client.aclose()

    async def __aenter__(self) -> "HttpxTransport":
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()


def _caused_by(error: BaseException, kind: type[BaseException]) -> bool:
    seen = 0
    current: BaseException | None = error
    while current is not None and seen < 16:  # bounded walk of the cause chain
        if isinstance(current, kind):
            return True
        current = current.__cause__ or current.__context__
        seen += 1
    return False
