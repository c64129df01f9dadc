"""The simulated network: HTTP-shaped request/response between nodes, on virtual time.

WHY: the system's transport port is `post(url, body, timeout_s) -> (status, body)`, raising the
builtin `TimeoutError` or `ConnectionError` (`ConnectionRefusedError` when refused) as the real
HTTP client does. `SimTransport.post` keeps exactly that contract, so the production code runs
unchanged; underneath, every leg takes a seeded latency, the destination's handler runs as a task
spawned on the destination node (a crash of that node cancels it, and the caller then times out),
and faults decided by `fault_hook` make the ambiguous outcomes that exactly-once must survive:
a lost request, a lost response after the handler committed, a duplicate delivery, a latency spike
that reorders requests, a partition, a refusal, an overloaded 503.

This module is generic: it knows nothing of OMEN or of the faults package. Bodies are bytes; a
scenario may pass `describe(body)` to add fields (e.g. the signal id) to the "net.send" event.

Trace events (kinds are stable; `req` is a per-network counter from 1):
- on the source node: "net.send" {req, src, dst, path, **describe(body)}, "net.response" {req,
  status}, "net.timeout" {req}, "net.refused" {req}, "net.partition" {req, a, b, until_s, refuse};
- on the destination node: "net.deliver" {req} ({req, duplicate: 1} for a duplicate's second
  copy), "net.reply" {req, status} when the handler finished ({..., error: <type>} when it raised,
  answered as a 500 the way a real server would).

Fault points: the hook is asked `decide("net.request", src, dst)` once per request at send time
and `decide("net.response", src, dst)` once per reply that the handler produced for the caller.
"""
from __future__ import annotations

import asyncio
import math
import random
from dataclasses import dataclass
from functools import partial
from typing import Awaitable, Callable, Protocol

from sim.node import Node
from sim.simulation import Simulation

__all__ = [
    "NetFault",
    "NetFaultHook",
    "SimNetwork",
    "SimTransport",
    "NET_FAULT_KINDS",
    "OVERLOADED_STATUS",
    "OVERLOADED_BODY",
]

Handler = Callable[[str, bytes], Awaitable[tuple[int, bytes]]]

OVERLOADED_STATUS = 503
OVERLOADED_BODY = b'{"error":"overloaded"}'
HANDLER_ERROR_STATUS = 500
HANDLER_ERROR_BODY = b'{"error":"internal server error"}'
URL_SCHEME = "http://"
ENDPOINTS_MAX = 1_000
PARTITIONS_MAX = 10_000
TIMEOUT_S_MAX = 7 * 24 * 3600.0
URLS_MAX = 1_000  # the parsed-URL memo's size limit (a run posts to a handful of URLs)

# The kinds a hook may return, at the point where each makes sense.
NET_FAULT_KINDS: dict[str, frozenset[str]] = {
    "net.request": frozenset(
        {"refused", "partition", "http_5xx", "drop_request", "duplicate", "delay_spike", "reset"}
    ),
    "net.response": frozenset({"drop_response", "delay_spike"}),
}


@dataclass(frozen=True, slots=True)
class NetFault:
    """A fault the hook decided for one request leg.

    kinds: "refused", "partition" (`duration_s`, `refuse`: refused if True else dropped, both ways),
    "http_5xx", "drop_request", "drop_response", "duplicate" (second copy `delay_s` after the first),
    "delay_spike" (`delay_s` extra on this leg), "reset" (the request is delivered and the handler
    runs, but the connection breaks: the caller gets ConnectionResetError after the request leg).
    """

    kind: str
    delay_s: float = 0.0
    duration_s: float = 0.0
    refuse: bool = True

    def __post_init__(self) -> None:
        known = NET_FAULT_KINDS["net.request"] | NET_FAULT_KINDS["net.response"]
        if self.kind not in known:
            raise ValueError(f"unknown network fault {self.kind!r}; known: {', '.join(sorted(known))}")
        if not (math.isfinite(self.delay_s) and self.delay_s >= 0.0):
            raise ValueError(f"delay_s must be a finite number >= 0, got {self.delay_s}")
        if not (math.isfinite(self.duration_s) and self.duration_s >= 0.0):
            raise ValueError(f"duration_s must be a finite number >= 0, got {self.duration_s}")


class NetFaultHook(Protocol):
    def decide(self, point: str, src: str, dst: str) -> NetFault | None: ...


@dataclass(slots=True)
class _Endpoint:
    address: str
    node: Node
    handler: Handler


@dataclass(slots=True)
class _Call:
    """One request in flight: what the delivery and response legs need."""

    req: int
    src: Node
    src_incarnation: int
    endpoint: _Endpoint
    dst_incarnation: int
    path: str
    body: bytes
    future: asyncio.Future


_new_call = object.__new__


class SimNetwork:
    """Addresses -> (node, handler), and the legs between them."""

    def __init__(
        self,
        sim: Simulation,
        *,
        rng: random.Random,
        latency_s_min: float = 0.0005,
        latency_s_max: float = 0.005,
        describe: Callable[[bytes], dict] | None = None,
    ) -> None:
        if not isinstance(rng, random.Random):
            raise TypeError(f"rng must be a random.Random (e.g. sim.rng.stream('network')), got {type(rng).__name__}")
        if not (math.isfinite(latency_s_min) and math.isfinite(latency_s_max) and 0.0 <= latency_s_min <= latency_s_max):
            raise ValueError(
                f"need 0 <= latency_s_min <= latency_s_max, got {latency_s_min}, {latency_s_max}"
            )
        self.sim = sim
        self.fault_hook: NetFaultHook | None = None
        self._loop = sim.loop
        self._record = sim.trace.record
        self._record_fields = sim.trace.record_fields
        self._rng = rng
        self._latency_s_min = float(latency_s_min)
        self._latency_s_span = float(latency_s_max) - float(latency_s_min)
        self._describe = describe
        self._endpoints: dict[str, _Endpoint] = {}
        self._partitions: dict[tuple[str, str], tuple[float, bool]] = {}
        self._req = 0
        self._urls: dict[str, tuple[str, str]] = {}  # url -> (address, path), bounded by URLS_MAX
        # The three legs every request schedules, bound once: a bound method made per timer was an
        # object built, tracked by the cyclic collector and freed three times a request. Instance
        # attributes shadowing the methods, so one replaced on the instance is the one scheduled.
        self._expire = self._expire
        self._deliver = self._deliver
        self._respond = self._respond

    # ---- wiring ---------------------------------------------------------------------------------

    def register(self, address: str, node: Node, handler: Handler) -> None:
        """Serve `handler(path, body)` at `http://{address}`, on `node`.

        Register again after a restart of the node to point the address at the new incarnation's
        handler (the old objects are gone with the crash).
        """
        if type(address) is not str or not address or "/" in address:
            raise ValueError(f"an address is a non-empty host[:port] without '/', got {address!r}")
        if not isinstance(node, Node):
            raise TypeError(f"node must be a sim Node, got {type(node).__name__}")
        if not callable(handler):
            raise TypeError(f"handler must be an async callable handler(path, body), got {handler!r}")
        if address not in self._endpoints and len(self._endpoints) >= ENDPOINTS_MAX:
            raise RuntimeError(f"this network already has {ENDPOINTS_MAX} addresses")
        self._endpoints[address] = _Endpoint(address, node, handler)

    def unregister(self, address: str) -> None:
        """Stop serving `address`: requests to it are refused from now on."""
        self._endpoints.pop(address, None)

    def transport(self, node: Node) -> SimTransport:
        """The transport port for code running on `node`."""
        if not isinstance(node, Node):
            raise TypeError(f"node must be a sim Node, got {type(node).__name__}")
        return SimTransport(self, node)

    # ---- partitions ------------------------------------------------------------------------------

    def partition(self, a: str, b: str, duration_s: float, *, refuse: bool = True) -> float:
        """Cut nodes `a` and `b` apart, both ways, for `duration_s`; return the virtual end time.

        While cut, requests between them are refused (`refuse=True`) or silently dropped.
        """
        if not (math.isfinite(duration_s) and duration_s >= 0.0):
            raise ValueError(f"duration_s must be a finite number >= 0, got {duration_s}")
        key = (a, b) if a <= b else (b, a)
        if key not in self._partitions and len(self._partitions) >= PARTITIONS_MAX:
            raise RuntimeError(f"more than {PARTITIONS_MAX} node pairs partitioned at once")
        until_s = self._loop.time() + duration_s
        self._partitions[key] = (until_s, refuse)
        return until_s

    def partitioned(self, a: str, b: str) -> tuple[bool, bool]:
        """(cut, refuse) for the pair right now; an expired partition is forgotten here."""
        if not self._partitions:
            return (False, False)
        key = (a, b) if a <= b else (b, a)
        found = self._partitions.get(key)
        if found is None:
            return (False, False)
        until_s, refuse = found
        if self._loop.time() >= until_s:
            del self._partitions[key]
            return (False, False)
        return (True, refuse)

    def heal(self) -> None:
        """End every partition now (the heal step before a liveness phase)."""
        self._partitions.clear()

    # ---- the legs --------------------------------------------------------------------------------

    def _latency_s(self) -> float:
        return self._latency_s_min + self._rng.random() * self._latency_s_span

    async def _post(self, src: Node, url: str, body: bytes, timeout_s: float) -> tuple[int, bytes]:
        # The common call (a known URL, exact bytes, a float timeout in range) passes its checks in
        # three tests; anything else takes the full checks, which raise what they always raised.
        found = self._urls.get(url)
        if found is None:
            found = self._parse_url(url)
        address, path = found
        if type(body) is not bytes:
            if not isinstance(body, (bytes, bytearray)):
                raise TypeError(f"body must be bytes, got {type(body).__name__}")
            body = bytes(body)
        if type(timeout_s) is not float or not 0.0 < timeout_s <= TIMEOUT_S_MAX:
            if isinstance(timeout_s, bool) or not isinstance(timeout_s, (int, float)) or not (
                0.0 < timeout_s <= TIMEOUT_S_MAX
            ):
                raise ValueError(f"timeout_s must be a number of seconds in (0, {TIMEOUT_S_MAX}], got {timeout_s!r}")
        loop = self._loop
        self._req += 1
        req = self._req
        endpoint = self._endpoints.get(address)
        src_name = src.name
        dst = endpoint.node.name if endpoint is not None else address
        fields = {"req": req, "src": src_name, "dst": dst, "path": path}
        if self._describe is not None:
            # `record(..., **extra)`'s one dict, built here: the same fields in the same order
            extra = self._describe(body)
            if extra:
                fields.update(extra)
                if len(fields) != 4 + len(extra):  # what the keywords' spread refused
                    raise TypeError(f"describe(body) returned a field the request sets itself: "
                                    f"{sorted(set(extra) & {'req', 'src', 'dst', 'path'})}")
        self._record_fields(src_name, "net.send", fields)

        future: asyncio.Future = loop.create_future()
        timer = loop.call_later(timeout_s, self._expire, future, src_name, req)
        try:
            # The request leg's fate, decided here inline (one frame less per request); a fault's
            # kinds are `_send_faulted`'s.
            latency_s = self._latency_s_min + self._rng.random() * self._latency_s_span  # _latency_s(), inline
            if endpoint is None or not endpoint.node.alive:
                loop.call_later(latency_s, self._refuse, future, src_name, req, url, "destination down")
            else:
                cut, refuse = self.partitioned(src_name, dst) if self._partitions else (False, False)
                if cut:
                    if refuse:
                        loop.call_later(latency_s, self._refuse, future, src_name, req, url, "partitioned")
                    # else dropped: the caller times out
                else:
                    fault = self.fault_hook.decide("net.request", src_name, dst) if self.fault_hook is not None else None
                    # `_Call(req, src, src.incarnation, endpoint, endpoint.node.incarnation, path, body,
                    # future)`, without the dataclass __init__'s frame (a test holds the two equal)
                    call = _new_call(_Call)
                    call.req = req
                    call.src = src
                    call.src_incarnation = src.incarnation
                    call.endpoint = endpoint
                    call.dst_incarnation = endpoint.node.incarnation
                    call.path = path
                    call.body = body
                    call.future = future
                    if fault is None:
                        loop.call_later(latency_s, self._deliver, call, False)
                    else:
                        self._send_faulted(call, fault, latency_s, dst, url)
            return await future
        finally:
            if loop._debug:
                loop.cancel_timer(timer)
            elif not timer._cancelled:  # `loop.cancel_timer(timer)`, inline as `SimLoop.sleep` does it
                if timer._scheduled:
                    loop._timer_cancelled_count += 1
                timer._cancelled = True
                timer._callback = None
                timer._args = None

    def _parse_url(self, url: str) -> tuple[str, str]:
        """(address, path) of `url`, checked, and remembered: a run posts to a handful of URLs."""
        if type(url) is not str or not url.startswith(URL_SCHEME):
            raise ValueError(f"url must look like 'http://address/path', got {url!r}")
        rest = url[len(URL_SCHEME):]
        slash = rest.find("/")
        found = (rest, "/") if slash < 0 else (rest[:slash], rest[slash:])
        if len(self._urls) >= URLS_MAX:
            self._urls.clear()  # a pure function's memo: dropping it changes nothing but speed
        self._urls[url] = found
        return found

    def _send_faulted(self, call: _Call, fault: NetFault, latency_s: float, dst: str, url: str) -> None:
        """The request leg of a request the hook gave a fault: schedule what the fault makes of it."""
        loop = self._loop
        future = call.future
        req = call.req
        src_name = call.src.name
        kind = fault.kind
        assert kind in NET_FAULT_KINDS["net.request"], f"hook returned {kind!r} at net.request"
        if kind == "refused":
            loop.call_later(latency_s, self._refuse, future, src_name, req, url, "refused")
        elif kind == "partition":
            until_s = self.partition(src_name, dst, fault.duration_s, refuse=fault.refuse)
            self._record(src_name, "net.partition", req=req, a=src_name, b=dst, until_s=until_s,
                         refuse=fault.refuse)
            if fault.refuse:
                loop.call_later(latency_s, self._refuse, future, src_name, req, url, "partitioned")
        elif kind == "http_5xx":
            loop.call_later(latency_s + self._latency_s(), self._respond, call, OVERLOADED_STATUS, OVERLOADED_BODY)
        elif kind == "drop_request":
            pass  # the handler never runs; the caller times out
        elif kind == "duplicate":
            loop.call_later(latency_s, self._deliver, call, False)
            loop.call_later(latency_s + fault.delay_s + self._latency_s(), self._deliver, call, True)
        elif kind == "delay_spike":
            loop.call_later(latency_s + fault.delay_s, self._deliver, call, False)
        elif kind == "reset":
            loop.call_later(latency_s, self._deliver, call, False)
            loop.call_later(latency_s, self._reset, future, src_name, req, url)
        else:  # pragma: no cover - NET_FAULT_KINDS is checked above
            raise AssertionError(kind)

    def _deliver(self, call: _Call, duplicate: bool) -> None:
        """The request arrives: run the handler as a task of the destination node."""
        endpoint = call.endpoint
        node = endpoint.node
        if not node.alive or node.incarnation != call.dst_incarnation:
            return  # the connection died with the process it was open to: the caller times out
        if self._partitions and self.partitioned(call.src.name, node.name)[0]:
            return  # cut while in flight
        current = self._endpoints.get(endpoint.address)
        handler = current.handler if current is not None and current.node is node else endpoint.handler
        if duplicate:
            self._record(node.name, "net.deliver", req=call.req, duplicate=1)
        else:
            self._record(node.name, "net.deliver", req=call.req)
        node.spawn(self._serve(call, handler, duplicate), name=f"net.req{call.req}")

    async def _serve(self, call: _Call, handler: Handler, duplicate: bool) -> None:
        node = call.endpoint.node
        try:
            status, body = await handler(call.path, call.body)
        except Exception as error:  # a real server answers 500 and keeps serving
            self._record(node.name, "net.reply", req=call.req, status=HANDLER_ERROR_STATUS,
                         error=type(error).__name__)
            status, body = HANDLER_ERROR_STATUS, HANDLER_ERROR_BODY
        else:
            if type(status) is not int or type(body) is not bytes:  # the common answer passes in two tests
                if isinstance(status, bool) or not isinstance(status, int) or not isinstance(body, (bytes, bytearray)):
                    raise TypeError(f"a handler must return (int status, bytes body), got ({status!r}, {type(body).__name__})")
                body = bytes(body)
            self._record(node.name, "net.reply", req=call.req, status=status)
        if duplicate:
            return  # the second copy's response has no one waiting for it
        src_name = call.src.name
        if self._partitions and self.partitioned(src_name, node.name)[0]:
            return  # the response cannot cross the partition
        latency_s = self._latency_s_min + self._rng.random() * self._latency_s_span  # _latency_s(), inline
        if self.fault_hook is not None:
            fault = self.fault_hook.decide("net.response", src_name, node.name)
            if fault is not None:
                assert fault.kind in NET_FAULT_KINDS["net.response"], f"hook returned {fault.kind!r} at net.response"
                if fault.kind == "drop_response":
                    return  # the handler's effect stays; the caller times out
                latency_s += fault.delay_s
        self._loop.call_later(latency_s, self._respond, call, status, body)

    def _respond(self, call: _Call, status: int, body: bytes) -> None:
        future = call.future
        if future.done():
            return  # the caller already timed out, or its node crashed
        src = call.src
        if not src.alive or src.incarnation != call.src_incarnation:
            return  # pragma: no cover - a crash cancels the waiting task, which cancels the future
        self._record(src.name, "net.response", req=call.req, status=status)
        future.set_result((status, body))

    def _expire(self, future: asyncio.Future, src: str, req: int) -> None:
        if future.done():
            return
        self._record(src, "net.timeout", req=req)
        future.set_exception(TimeoutError(f"request {req}: no response within the timeout"))

    def _refuse(self, future: asyncio.Future, src: str, req: int, url: str, why: str) -> None:
        if future.done():
            return
        self._record(src, "net.refused", req=req)
        future.set_exception(ConnectionRefusedError(f"POST {url}: connection refused ({why})"))

    def _reset(self, future: asyncio.Future, src: str, req: int, url: str) -> None:
        if future.done():
            return
        self._record(src, "net.reset", req=req)
        future.set_exception(ConnectionResetError(f"POST {url}: connection reset before a response"))


class SimTransport:
    """The transport port of one node: `post(url, body, timeout_s) -> (status, body)`.

    Raises builtin TimeoutError when no response arrives within `timeout_s` of virtual time,
    ConnectionRefusedError when the destination is down, unknown or cut off by a refusing
    partition, ConnectionResetError on a reset (all ConnectionError, like the real transport).
    """

    __slots__ = ("_network", "node", "post")

    def __init__(self, network: SimNetwork, node: Node) -> None:
        self._network = network
        self.node = node
        # `post(url, body, timeout_s)` is the network's own coroutine with this node bound: each call
        # returns `network._post(node, url, body, timeout_s)`, the coroutine the caller awaits (at
        # once, as the port's callers do: the same steps), through a C partial instead of a method's
        # Python frame (about 800 instructions a request)
        self.post: Callable[[str, bytes, float], Awaitable[tuple[int, bytes]]] = partial(network._post, node)

    def __repr__(self) -> str:
        return f"SimTransport(node={self.node.name!r})"
