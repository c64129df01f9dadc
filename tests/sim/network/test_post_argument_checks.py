"""The post's fast argument checks (a remembered URL, exact bytes, a float timeout) accept and refuse
exactly what the full checks did, and hand the legs the same address, path and body."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim import network as network_module
from sim.network import SimNetwork
from sim.simulation import Simulation

TIMEOUT_S_MAX = network_module.TIMEOUT_S_MAX


def reference_checks(url, body, timeout_s):
    """The checks `_post` made on every call before the fast path, verbatim: what it raised, or what
    it went on with."""
    if not url.startswith("http://"):
        raise ValueError(url)
    rest = url[len("http://"):]
    slash = rest.find("/")
    address, path = (rest, "/") if slash < 0 else (rest[:slash], rest[slash:])
    if not isinstance(body, (bytes, bytearray)):
        raise TypeError(body)
    if isinstance(timeout_s, bool) or not isinstance(timeout_s, (int, float)) or not (0.0 < timeout_s <= TIMEOUT_S_MAX):
        raise ValueError(timeout_s)
    return address, path, bytes(body)


class Bytes(bytes):
    """A bytes subclass: the legs must see plain bytes, as `bytes(body)` made them."""


URLS = st.one_of(st.sampled_from(["http://riskcast/ingest", "http://riskcast", "http://riskcast/", "riskcast/x",
                                  "https://riskcast/x", "http://nowhere/a/b", ""]),
                 st.text(max_size=12).map(lambda text: "http://" + text))
BODIES = st.one_of(st.binary(max_size=4), st.binary(max_size=4).map(bytearray), st.binary(max_size=4).map(Bytes),
                   st.text(max_size=3), st.none())
TIMEOUTS = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-2, 3), st.booleans(),
                     st.sampled_from([TIMEOUT_S_MAX, TIMEOUT_S_MAX * 2, 1e-9, "1.0"]))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(URLS, BODIES, TIMEOUTS), min_size=1, max_size=4))
def test_a_post_accepts_and_refuses_what_the_full_checks_did_with_the_same_address_path_and_body(calls) -> None:
    sim = Simulation(3)
    net = SimNetwork(sim, rng=sim.rng.stream("network"))
    seen: list[tuple[str, bytes]] = []

    async def handler(path: str, body: bytes) -> tuple[int, bytes]:
        seen.append((path, body))
        return 200, b"ok"

    net.register("riskcast", sim.node("riskcast"), handler)
    transport = net.transport(sim.node("omen"))
    with sim:
        for url, body, timeout_s in calls:  # a URL may come again: the second time from the memo
            try:
                expected = reference_checks(url, body, timeout_s)
            except (ValueError, TypeError) as error:
                with pytest.raises(type(error)):
                    sim.run(transport.post(url, body, timeout_s))
                continue
            address, path, sent = expected
            events_before = len(sim.trace.events)
            seen.clear()
            try:
                sim.run(transport.post(url, body, timeout_s))
            except ConnectionRefusedError:
                assert address != "riskcast"
            except TimeoutError:
                pass  # a timeout shorter than the legs: the handler may still have run, below
            send = sim.trace.events[events_before]
            assert send.kind == "net.send" and (send.fields["dst"], send.fields["path"]) == (address, path)
            if address == "riskcast" and seen:  # an earlier, timed-out request's handler may run here too
                assert (path, sent) in seen and all(type(received) is bytes for _, received in seen)


def test_the_parsed_url_memo_stays_within_its_bound() -> None:
    sim = Simulation(1)
    net = SimNetwork(sim, rng=sim.rng.stream("network"))
    for serial in range(network_module.URLS_MAX + 5):
        assert net._parse_url(f"http://a{serial}/p") == (f"a{serial}", "/p")
        assert len(net._urls) <= network_module.URLS_MAX
    sim.close()


@pytest.mark.parametrize("answer_body", [b"ok", bytearray(b"ok"), Bytes(b"ok")])
def test_a_handlers_bytes_like_answer_reaches_the_caller_as_bytes(answer_body) -> None:
    sim = Simulation(1)
    net = SimNetwork(sim, rng=sim.rng.stream("network"))

    async def handler(path: str, body: bytes):
        return 201, answer_body

    net.register("riskcast", sim.node("riskcast"), handler)
    with sim:
        status, body = sim.run(net.transport(sim.node("omen")).post("http://riskcast/x", b"", 1.0))
    assert (status, body) == (201, b"ok") and type(body) is bytes


@pytest.mark.parametrize("answer", [(True, b"ok"), (200, "ok"), (200.0, b"ok"), (200, None)])
def test_a_handler_answer_of_the_wrong_types_kills_its_task_and_the_caller_times_out(answer) -> None:
    sim = Simulation(1)
    net = SimNetwork(sim, rng=sim.rng.stream("network"))

    async def handler(path: str, body: bytes):
        return answer

    net.register("riskcast", sim.node("riskcast"), handler)
    with sim, pytest.raises(TimeoutError):
        sim.run(net.transport(sim.node("omen")).post("http://riskcast/x", b"", 1.0))
    (name, error), = sim.node("riskcast").task_errors
    assert name == "riskcast/net.req1" and isinstance(error, TypeError)
