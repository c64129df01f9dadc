"""A faulty HTTP/1.1 proxy on loopback between each client (OMEN, the reconciler) and RiskCast.

It is the harness's eye on the network: every request it forwards is recorded (`net.send`, with the
client as node, the signal the body carries and whether that signal's record is in the ledger files
at that instant) and so is every response RiskCast gave (`ingest.result`), whether or not the client
then gets it. The nemesis switches fault kinds on for a while; each request then meets one of them
with the given probability, drawn from the proxy's own seeded generator:

- `drop_request`: the request never reaches RiskCast; the client's connection is closed;
- `drop_response`: RiskCast handles the request, the client never hears back;
- `duplicate`: RiskCast receives the request twice at once; the client gets the first answer;
- `delay`: the request waits 0.2-1.5 s before it is forwarded;
- `reset`: RiskCast answers, the client gets half the answer and then a TCP reset.

One request per connection (`Connection: close` both ways), so a fault never leaks into the next
request. Bounded: connections in progress, header and body sizes, every read has a deadline.
"""
from __future__ import annotations

import asyncio
import contextlib
import random
import socket
import struct
from collections.abc import Callable
from typing import Any

FAULT_KINDS = ("drop_request", "drop_response", "duplicate", "delay", "reset")
HEAD_BYTES_MAX = 64 * 1024
BODY_BYTES_MAX = 4 * 1024 * 1024
RESPONSE_BYTES_MAX = 4 * 1024 * 1024
READ_CHUNK_BYTES = 64 * 1024
CONNECTIONS_MAX = 256
READ_TIMEOUT_S = 10.0
UPSTREAM_TIMEOUT_S = 15.0
DELAY_S_MIN, DELAY_S_MAX = 0.2, 1.5
INGEST_PATH = b"/api/v1/signals/ingest"

Recorder = Callable[..., int]
SendObserver = Callable[[str, dict[str, Any]], dict[str, Any]]


class _BadRequest(Exception):
    pass


async def _read_request(reader: asyncio.StreamReader) -> tuple[bytes, bytes, bytes]:
    """(request line, header block without the request line, body) of one request."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError) as error:
        raise _BadRequest(f"no complete request head: {type(error).__name__}") from None
    request_line, _, headers = head[:-4].partition(b"\r\n")
    length = 0
    for header in headers.split(b"\r\n"):
        name, _, value = header.partition(b":")
        if name.strip().lower() == b"content-length":
            if not value.strip().isdigit():
                raise _BadRequest("bad content-length")
            length = int(value.strip())
        if name.strip().lower() == b"transfer-encoding":
            raise _BadRequest("chunked requests are not proxied")
    if length > BODY_BYTES_MAX:
        raise _BadRequest(f"body of {length} bytes above {BODY_BYTES_MAX}")
    body = await reader.readexactly(length) if length else b""
    return request_line, headers, body


def _status_of(response: bytes) -> int | None:
    parts = response.split(b" ", 2)
    return int(parts[1]) if len(parts) >= 2 and parts[1].isdigit() else None


def _is_complete(response: bytes) -> bool:
    """A whole response: its head, and the body its Content-Length (or last chunk) promises."""
    head, separator, body = response.partition(b"\r\n\r\n")
    if not separator:
        return False
    for header in head.split(b"\r\n")[1:]:
        name, _, value = header.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            return value.strip().isdigit() and len(body) == int(value.strip())
        if name == b"transfer-encoding" and b"chunked" in value.lower():
            return body.endswith(b"0\r\n\r\n")
    return True  # no length given: the body ends where the connection closed


def _upstream_request(request_line: bytes, headers: bytes, body: bytes) -> bytes:
    kept = [h for h in headers.split(b"\r\n")
            if h and h.partition(b":")[0].strip().lower() not in (b"connection", b"keep-alive")]
    return b"\r\n".join([request_line, *kept, b"Connection: close"]) + b"\r\n\r\n" + body


class FaultyProxy:
    def __init__(self, upstream_port: int, record: Recorder, *, seed: int, observe_send: SendObserver,
                 count_fault: Callable[[str], None]) -> None:
        self._upstream_port = upstream_port
        self._record = record
        self._rng = random.Random(seed)
        self._observe_send = observe_send
        self._count_fault = count_fault
        self._active: dict[str, float] = {}
        self._slots = asyncio.Semaphore(CONNECTIONS_MAX)
        self._servers: list[asyncio.base_events.Server] = []
        self._handlers: set[asyncio.Task[Any]] = set()

    # ---- the nemesis' controls
    def enable(self, kind: str, probability: float) -> None:
        assert kind in FAULT_KINDS, kind
        assert 0.0 < probability <= 1.0, probability
        self._active[kind] = probability

    def disable(self, kind: str) -> None:
        self._active.pop(kind, None)

    def heal(self) -> None:
        self._active.clear()

    @property
    def active(self) -> dict[str, float]:
        return dict(self._active)

    def _draw_fault(self) -> str | None:
        for kind in FAULT_KINDS:  # defined order: the same seed draws the same way
            probability = self._active.get(kind)
            if probability is not None and self._rng.random() < probability:
                return kind
        return None

    # ---- serving
    async def listen(self, client: str) -> int:
        """Start a listener for one client (the node every request on it is recorded as); its port."""
        server = await asyncio.start_server(lambda r, w: self._accept(client, r, w), "127.0.0.1", 0,
                                            limit=HEAD_BYTES_MAX)
        self._servers.append(server)
        return int(server.sockets[0].getsockname()[1])

    def _accept(self, client: str, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.create_task(self._serve(client, reader, writer))
        self._handlers.add(task)
        task.add_done_callback(self._handlers.discard)

    async def _serve(self, client: str, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        async with self._slots:
            try:
                await self._serve_one(client, reader, writer)
            except (ConnectionError, OSError, TimeoutError, asyncio.IncompleteReadError):
                pass
            finally:
                with contextlib.suppress(Exception):
                    writer.close()

    async def _serve_one(self, client: str, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request_line, headers, body = await asyncio.wait_for(_read_request(reader), READ_TIMEOUT_S)
        except _BadRequest as error:
            writer.write(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            self._record("proxy", "proxy.refused", client=client, reason=str(error))
            return
        is_ingest = INGEST_PATH in request_line
        fields = describe_body(body) if is_ingest else {"signal_id": None, "partition": None}
        fault = self._draw_fault()
        if fault is not None:
            self._count_fault(f"proxy.{fault}")
            self._record(client, "fault", fault=f"proxy.{fault}", signal_id=fields.get("signal_id"))
        if fault == "drop_request":
            return
        if fault == "delay":
            await asyncio.sleep(self._rng.uniform(DELAY_S_MIN, DELAY_S_MAX))
        if is_ingest:
            self._record(client, "net.send", **self._observe_send(client, dict(fields)))
        upstream = _upstream_request(request_line, headers, body)
        if fault == "duplicate":
            answers = await asyncio.gather(self._forward(upstream, fields, is_ingest),
                                           self._forward(upstream, fields, is_ingest))
            response = next((answer for answer in answers if answer is not None), None)
        else:
            response = await self._forward(upstream, fields, is_ingest)
        if response is None or fault == "drop_response":
            return  # closing without a reply: the client cannot know whether the handler ran
        if fault == "reset":
            writer.write(response[: len(response) // 2])
            await writer.drain()
            self._reset(writer)
            return
        writer.write(response)
        await writer.drain()

    async def _forward(self, request: bytes, fields: dict[str, Any], is_ingest: bool) -> bytes | None:
        try:
            reader, writer = await asyncio.wait_for(
                asyncio.open_connection("127.0.0.1", self._upstream_port), UPSTREAM_TIMEOUT_S)
        except (OSError, TimeoutError):
            return None
        try:
            writer.write(request)
            await writer.drain()
            chunks: list[bytes] = []
            size_bytes = 0
            for _ in range(RESPONSE_BYTES_MAX // READ_CHUNK_BYTES + 2):
                chunk = await asyncio.wait_for(reader.read(READ_CHUNK_BYTES), UPSTREAM_TIMEOUT_S)
                if not chunk:
                    break
                size_bytes += len(chunk)
                if size_bytes > RESPONSE_BYTES_MAX:
                    return None
                chunks.append(chunk)
            response = b"".join(chunks)
        except (OSError, TimeoutError, asyncio.IncompleteReadError):
            return None
        finally:
            with contextlib.suppress(Exception):
                writer.close()
        status = _status_of(response) if _is_complete(response) else None
        if status is None:
            return None  # the server died mid-answer (a SIGKILL between head and body): no response exists
        if is_ingest:
            _, _, response_body = response.partition(b"\r\n\r\n")
            ack = describe_ack(response_body)
            self._record("riskcast", "ingest.result", signal_id=fields.get("signal_id"), status=status, ack_id=ack)
        return response

    @staticmethod
    def _reset(writer: asyncio.StreamWriter) -> None:
        sock = writer.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        writer.transport.abort()

    async def close(self) -> None:
        for server in self._servers:
            server.close()
        for task in list(self._handlers):
            task.cancel()
        for task in list(self._handlers):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        for server in self._servers:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(server.wait_closed(), 5.0)


def string_field(body: bytes, key: bytes) -> str | None:
    """The string value of `"key": "..."` in a JSON body, without parsing the whole document
    (whitespace around the colon allowed, as any JSON encoder may emit it)."""
    start = body.find(b'"' + key + b'"')
    if start < 0:
        return None
    position = start + len(key) + 2
    for expected in (b":", b'"'):
        while position < len(body) and body[position:position + 1] in (b" ", b"\t", b"\n", b"\r"):
            position += 1
        if body[position:position + 1] != expected:
            return None
        position += 1
    end = body.find(b'"', position)
    return body[position:end].decode("utf-8", "replace") if end >= position else None


def describe_body(body: bytes) -> dict[str, Any]:
    """Which signal a request body carries (if any), and into which partition it says it goes."""
    return {"signal_id": string_field(body, b"signal_id"), "partition": string_field(body, b"ledger_partition")}


def describe_ack(body: bytes) -> str | None:
    """The ack_id of an ingest answer's JSON body (None if it has none)."""
    return string_field(body, b"ack_id")
