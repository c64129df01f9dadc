"""HttpxTransport maps HTTP onto the transport port: statuses are answers, failures are builtins."""
from __future__ import annotations

import asyncio
import socket
from contextlib import closing

import httpx
import pytest

from omen.transport import HttpxTransport


async def tiny_app(scope, receive, send) -> None:
    """A raw ASGI app: echoes the body with 200, except /slow (sleeps) and /boom (503)."""
    assert scope["type"] == "http"
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    if scope["path"] == "/slow":
        await asyncio.sleep(5)
    status = 503 if scope["path"] == "/boom" else 200
    await send({"type": "http.response.start", "status": status, "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": body})


def asgi_transport() -> HttpxTransport:
    return HttpxTransport(httpx.AsyncClient(transport=httpx.ASGITransport(app=tiny_app)))


def test_a_response_comes_back_as_status_and_body() -> None:
    async def scenario():
        transport = asgi_transport()
        return await transport.post("http://app/echo", b'{"a":1}', 1.0), await transport.post("http://app/boom", b"x", 1.0)

    assert asyncio.run(scenario()) == ((200, b'{"a":1}'), (503, b"x"))


def test_no_response_in_time_raises_the_builtin_timeout_error() -> None:
    async def scenario():
        await asgi_transport().post("http://app/slow", b"{}", 0.05)

    with pytest.raises(TimeoutError):
        asyncio.run(scenario())


def test_a_closed_port_raises_connection_refused() -> None:
    with closing(socket.socket()) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    async def scenario():
        async with HttpxTransport() as transport:
            await transport.post(f"http://127.0.0.1:{port}/x", b"{}", 2.0)

    with pytest.raises(ConnectionRefusedError):
        asyncio.run(scenario())


def test_a_non_positive_timeout_is_refused() -> None:
    with pytest.raises(ValueError, match="timeout_s"):
        asyncio.run(asgi_transport().post("http://app/echo", b"{}", 0))
