"""The faulty proxy: each fault kind does to a request what its name says, and the proxy records
every request it forwarded and every answer the server gave, whatever the client then got."""
from __future__ import annotations

import asyncio
import json

import pytest

from omen.transport import HttpxTransport
from scenarios.real.history import History
from scenarios.real.proxy import FAULT_KINDS, FaultyProxy

BODY = json.dumps({"signal_id": "OMEN-1", "ledger_partition": "2026-03-01"}).encode()


class Upstream:
    """A stand-in RiskCast: answers each ingest 200 with a fresh ack_id, counting what it received."""

    def __init__(self) -> None:
        self.received = 0

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        length = next(int(h.split(b":")[1]) for h in head.split(b"\r\n") if h.lower().startswith(b"content-length"))
        await reader.readexactly(length)
        self.received += 1
        body = json.dumps({"status": "accepted", "ack_id": f"ack-{self.received}"}).encode()
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: "
                     + str(len(body)).encode() + b"\r\nconnection: close\r\n\r\n" + body)
        await writer.drain()
        writer.close()


async def _through_proxy(fault: str | None) -> tuple[Upstream, History, object, dict[str, int]]:
    upstream = Upstream()
    server = await asyncio.start_server(upstream.serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    history = History(None)
    counts: dict[str, int] = {}
    sends: list[str] = []

    def observe(client: str, fields: dict) -> dict:
        sends.append(client)
        return fields | {"durable": None}

    proxy = FaultyProxy(port, history.record, seed=1, observe_send=observe,
                        count_fault=lambda kind: counts.__setitem__(kind, counts.get(kind, 0) + 1))
    proxy_port = await proxy.listen("omen")
    if fault is not None:
        proxy.enable(fault, 1.0)
    async with HttpxTransport() as transport:
        try:
            outcome: object = await transport.post(f"http://127.0.0.1:{proxy_port}/api/v1/signals/ingest", BODY, 5.0)
        except (ConnectionError, TimeoutError) as error:
            outcome = error
    await proxy.close()
    server.close()
    await server.wait_closed()
    return upstream, history, outcome, counts


def _kinds(history: History) -> list[str]:
    return [event[3] for event in history.events]


def test_without_faults_the_answer_passes_through_and_both_sides_are_recorded() -> None:
    upstream, history, outcome, counts = asyncio.run(_through_proxy(None))
    assert upstream.received == 1 and counts == {}
    assert outcome[0] == 200 and json.loads(outcome[1])["ack_id"] == "ack-1"
    send, result = history.of_kind("net.send")[0], history.of_kind("ingest.result")[0]
    assert (send[2], send[4]["signal_id"], send[4]["partition"]) == ("omen", "OMEN-1", "2026-03-01")
    assert result[4] == {"signal_id": "OMEN-1", "status": 200, "ack_id": "ack-1"}


def test_drop_request_never_reaches_the_server() -> None:
    upstream, history, outcome, counts = asyncio.run(_through_proxy("drop_request"))
    assert upstream.received == 0 and isinstance(outcome, ConnectionError)
    assert counts == {"proxy.drop_request": 1} and "net.send" not in _kinds(history)


@pytest.mark.parametrize("fault", ["drop_response", "reset"])
def test_a_lost_or_reset_answer_was_still_handled_and_recorded(fault: str) -> None:
    upstream, history, outcome, counts = asyncio.run(_through_proxy(fault))
    assert upstream.received == 1 and isinstance(outcome, ConnectionError)
    assert counts == {f"proxy.{fault}": 1}
    assert [e[4]["status"] for e in history.of_kind("ingest.result")] == [200]


def test_duplicate_delivers_the_request_twice_and_the_client_one_answer() -> None:
    upstream, history, outcome, counts = asyncio.run(_through_proxy("duplicate"))
    assert upstream.received == 2 and outcome[0] == 200
    assert sorted(e[4]["ack_id"] for e in history.of_kind("ingest.result")) == ["ack-1", "ack-2"]
    assert len(history.of_kind("net.send")) == 1


def test_delay_still_delivers_once() -> None:
    upstream, history, outcome, counts = asyncio.run(_through_proxy("delay"))
    assert upstream.received == 1 and outcome[0] == 200 and counts == {"proxy.delay": 1}


def test_only_known_fault_kinds_and_probabilities_are_accepted() -> None:
    proxy = FaultyProxy(1, History(None).record, seed=0, observe_send=lambda c, f: f, count_fault=lambda k: None)
    with pytest.raises(AssertionError):
        proxy.enable("flood", 0.5)
    with pytest.raises(AssertionError):
        proxy.enable(FAULT_KINDS[0], 0.0)


def test_an_answer_cut_off_by_a_dying_server_is_no_answer() -> None:
    from scenarios.real.proxy import _is_complete

    whole = b"HTTP/1.1 200 OK\r\ncontent-length: 11\r\n\r\n{\"ack\":\"1\"}"
    assert _is_complete(whole)
    assert not _is_complete(whole[:-3])
    assert not _is_complete(b"HTTP/1.1 200 OK\r\ncontent-length: 11\r\n")
    assert _is_complete(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n")
    assert not _is_complete(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n2\r\n{}\r\n")
