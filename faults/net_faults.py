"""The network's fault hook: turns plan decisions into `sim.network.NetFault`s.

WHY an adapter: the network is generic and asks one question per request leg,
`decide(point, src, dst)`; the faults layer answers it by asking the injector about each
network kind in a fixed order (the first that fires wins, later kinds are not decided), so
that the decisions, and hence the schedule, are the same on every run of a seed.

Injection points (occurrences are counted per point, node and kind):
- "net.request", on the source node, once per request at send time: net.refused, net.partition,
  net.http_5xx, net.drop_request, net.duplicate, net.reset, net.delay_spike (request leg);
- "net.response", on the destination node, once per reply the caller waits for:
  net.drop_response, net.delay_spike (response leg).
"""
from __future__ import annotations

from faults.injector import FaultInjector
from sim.network import NetFault

REQUEST_KINDS: tuple[str, ...] = (
    "net.refused", "net.partition", "net.http_5xx", "net.drop_request", "net.duplicate", "net.reset",
    "net.delay_spike",
)
RESPONSE_KINDS: tuple[str, ...] = ("net.drop_response", "net.delay_spike")


class NetworkFaultInjector:
    """Implements `SimNetwork.fault_hook`: `decide(point, src, dst) -> NetFault | None`."""

    __slots__ = ("injector", "_request_kinds", "_response_kinds")

    def __init__(self, injector: FaultInjector) -> None:
        assert isinstance(injector, FaultInjector)
        self.injector = injector
        # Only the kinds the run has on, in the same order: a kind that is off never draws or counts
        # (FaultInjector.kinds_on), so skipping it changes no decision.
        on = injector.kinds_on
        self._request_kinds = tuple(kind for kind in REQUEST_KINDS if kind in on)
        self._response_kinds = tuple(kind for kind in RESPONSE_KINDS if kind in on)

    @property
    def asks_anything(self) -> bool:
        """Whether any answer but None can come: some network kind is on. A network given no hook
        asks nothing, which is what this hook answers when none is (the kinds on are fixed for a
        run, and a kind that is off never draws or counts)."""
        return bool(self._request_kinds or self._response_kinds)

    def decide(self, point: str, src: str, dst: str) -> NetFault | None:
        if point == "net.request":
            kinds, node = self._request_kinds, src
        elif point == "net.response":
            kinds, node = self._response_kinds, dst
        else:
            raise ValueError(f"unknown network injection point {point!r}; expected net.request or net.response")
        if not kinds:
            return None  # a fault-free run asks nothing
        found = self.injector.decide_first(point, kinds, node)
        return None if found is None else _net_fault(*found)


def _net_fault(kind: str, params: dict) -> NetFault:
    short = kind[len("net."):]
    if kind == "net.partition":
        return NetFault(short, duration_s=float(params["duration_s"]), refuse=bool(params["refuse"]))
    if kind == "net.duplicate":
        return NetFault(short, delay_s=float(params["extra_delay_s"]))
    if kind == "net.delay_spike":
        return NetFault(short, delay_s=float(params["delay_s"]))
    return NetFault(short)
