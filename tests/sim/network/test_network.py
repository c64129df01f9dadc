"""SimNetwork: HTTP-shaped request/response on virtual time, with the transport port's errors."""
from __future__ import annotations

import asyncio

import pytest

from sim.network import NetFault, SimNetwork
from sim.simulation import Simulation


class ScriptedHook:
    """Returns the given fault for the n-th decision at a point (1-based), else None."""

    def __init__(self, script: dict[tuple[str, int], NetFault]) -> None:
        self.script = script
        self.seen: dict[str, int] = {}

    def decide(self, point: str, src: str, dst: str) -> NetFault | None:
        self.seen[point] = self.seen.get(point, 0) + 1
        return self.script.get((point, self.seen[point]))


class Counter:
    """A handler whose effect (a count per body) stays behind, like a committed row."""

    def __init__(self, work_s: float = 0.0) -> None:
        self.effects: list[bytes] = []
        self.work_s = work_s

    async def __call__(self, path: str, body: bytes) -> tuple[int, bytes]:
        if self.work_s:
            await asyncio.sleep(self.work_s)
        self.effects.append(body)
        return 200, b"ok:" + path.encode() + b":" + body


def world(seed: int = 1, **kwargs):
    sim = Simulation(seed)
    net = SimNetwork(sim, rng=sim.rng.stream("network"), **kwargs)
    client, server = sim.node("omen"), sim.node("riskcast")
    handler = Counter()
    net.register("riskcast", server, handler)
    return sim, net, net.transport(client), handler


def kinds(sim: Simulation) -> list[str]:
    return [event.kind for event in sim.trace.events]


def test_a_post_is_delivered_and_answered_after_seeded_latencies() -> None:
    sim, net, transport, handler = world()
    with sim:
        status, body = sim.run(transport.post("http://riskcast/ingest", b"s1", 1.0))
        assert (status, body) == (200, b"ok:/ingest:s1")
        assert handler.effects == [b"s1"]
        assert 2 * 0.0005 <= sim.now_s <= 2 * 0.005
        assert kinds(sim) == ["net.send", "net.deliver", "net.reply", "net.response"]
        send = sim.trace.events[0]
        assert send.node == "omen" and send.fields == {"req": 1, "src": "omen", "dst": "riskcast", "path": "/ingest"}
        assert [e.node for e in sim.trace.events] == ["omen", "riskcast", "riskcast", "omen"]


def test_the_handler_runs_as_a_task_of_the_destination_node() -> None:
    sim, net, transport, _ = world()
    seen = []

    async def handler(path: str, body: bytes):
        seen.append(asyncio.current_task().get_name())
        return 204, b""

    net.register("riskcast", sim.node("riskcast"), handler)
    with sim:
        assert sim.run(transport.post("http://riskcast/x", b"", 1.0)) == (204, b"")
    assert seen == ["riskcast/net.req1"]


def test_describe_adds_fields_to_the_send_event() -> None:
    sim, net, transport, _ = world(describe=lambda body: {"signal_id": body.decode()})
    with sim:
        sim.run(transport.post("http://riskcast/ingest", b"sig-9", 1.0))
    assert sim.trace.events[0].fields["signal_id"] == "sig-9"


def test_an_unknown_address_is_refused() -> None:
    sim, net, transport, _ = world()
    with sim, pytest.raises(ConnectionRefusedError):
        sim.run(transport.post("http://nowhere/x", b"", 1.0))
    assert kinds(sim) == ["net.send", "net.refused"]


def test_a_down_destination_refuses_and_a_restarted_one_serves_again() -> None:
    sim, net, transport, handler = world()
    with sim:
        sim.node("riskcast").crash()
        with pytest.raises(ConnectionRefusedError):
            sim.run(transport.post("http://riskcast/x", b"a", 1.0))
        sim.node("riskcast").restart()
        assert sim.run(transport.post("http://riskcast/x", b"b", 1.0))[0] == 200
    assert handler.effects == [b"b"]


def test_a_slow_handler_makes_the_caller_time_out_in_virtual_time() -> None:
    sim, net, transport, _ = world()
    slow = Counter(work_s=10.0)
    net.register("riskcast", sim.node("riskcast"), slow)

    async def main():
        try:
            await transport.post("http://riskcast/x", b"a", 2.0)
        except TimeoutError:
            timed_out_at = sim.now_s
            await asyncio.sleep(20.0)
            return timed_out_at

    with sim:
        assert sim.run(main()) == pytest.approx(2.0)
    assert slow.effects == [b"a"]  # it finished later; its answer found no one waiting
    assert "net.timeout" in kinds(sim) and "net.response" not in kinds(sim)


def test_crashing_the_destination_cancels_the_handler_and_the_caller_times_out() -> None:
    sim, net, transport, _ = world()
    slow = Counter(work_s=5.0)
    net.register("riskcast", sim.node("riskcast"), slow)

    async def main():
        pending = asyncio.ensure_future(transport.post("http://riskcast/x", b"a", 3.0))
        await asyncio.sleep(1.0)
        sim.node("riskcast").crash()
        with pytest.raises(TimeoutError):
            await pending
        await asyncio.sleep(10.0)

    with sim:
        sim.run(main())
    assert slow.effects == []


def test_a_handler_exception_answers_500_like_a_real_server() -> None:
    sim, net, transport, _ = world()

    async def broken(path: str, body: bytes):
        raise KeyError("boom")

    net.register("riskcast", sim.node("riskcast"), broken)
    with sim:
        status, _ = sim.run(transport.post("http://riskcast/x", b"", 1.0))
    assert status == 500
    reply = [e for e in sim.trace.events if e.kind == "net.reply"][0]
    assert reply.fields == {"req": 1, "status": 500, "error": "KeyError"}


def test_a_dropped_request_never_runs_the_handler_and_the_caller_times_out() -> None:
    sim, net, transport, handler = world()
    net.fault_hook = ScriptedHook({("net.request", 1): NetFault("drop_request")})
    with sim, pytest.raises(TimeoutError):
        sim.run(transport.post("http://riskcast/x", b"a", 1.0))
    assert handler.effects == []


def test_a_dropped_response_leaves_the_handlers_effect_in_place_and_the_caller_timed_out() -> None:
    sim, net, transport, handler = world()
    net.fault_hook = ScriptedHook({("net.response", 1): NetFault("drop_response")})
    with sim, pytest.raises(TimeoutError):
        sim.run(transport.post("http://riskcast/x", b"a", 1.0))
    assert handler.effects == [b"a"]
    assert kinds(sim) == ["net.send", "net.deliver", "net.reply", "net.timeout"]


def test_a_duplicate_delivers_twice_and_the_caller_gets_one_response() -> None:
    sim, net, transport, handler = world()
    net.fault_hook = ScriptedHook({("net.request", 1): NetFault("duplicate", delay_s=0.01)})

    async def main():
        result = await transport.post("http://riskcast/x", b"a", 1.0)
        await asyncio.sleep(1.0)
        return result

    with sim:
        assert sim.run(main()) == (200, b"ok:/x:a")
    assert handler.effects == [b"a", b"a"]
    delivers = [e.fields for e in sim.trace.events if e.kind == "net.deliver"]
    assert delivers == [{"req": 1}, {"req": 1, "duplicate": 1}]
    assert kinds(sim).count("net.reply") == 2 and kinds(sim).count("net.response") == 1


def test_a_duplicate_may_run_concurrently_with_the_first_delivery() -> None:
    sim, net, transport, _ = world()
    slow = Counter(work_s=1.0)
    net.register("riskcast", sim.node("riskcast"), slow)
    net.fault_hook = ScriptedHook({("net.request", 1): NetFault("duplicate", delay_s=0.0)})
    with sim:
        sim.run(transport.post("http://riskcast/x", b"a", 5.0))
    order = [e.kind for e in sim.trace.events if e.kind in ("net.deliver", "net.reply")]
    assert order == ["net.deliver", "net.deliver", "net.reply", "net.reply"]


def test_a_5xx_answers_overloaded_without_running_the_handler() -> None:
    sim, net, transport, handler = world()
    net.fault_hook = ScriptedHook({("net.request", 1): NetFault("http_5xx")})
    with sim:
        assert sim.run(transport.post("http://riskcast/x", b"a", 1.0)) == (503, b'{"error":"overloaded"}')
    assert handler.effects == []


def test_a_refused_fault_raises_connection_refused_though_the_destination_is_up() -> None:
    sim, net, transport, handler = world()
    net.fault_hook = ScriptedHook({("net.request", 1): NetFault("refused")})
    with sim, pytest.raises(ConnectionRefusedError):
        sim.run(transport.post("http://riskcast/x", b"a", 1.0))
    assert handler.effects == []


def test_a_reset_runs_the_handler_and_raises_a_connection_error() -> None:
    sim, net, transport, handler = world()
    net.fault_hook = ScriptedHook({("net.request", 1): NetFault("reset")})

    async def main():
        with pytest.raises(ConnectionResetError):
            await transport.post("http://riskcast/x", b"a", 1.0)
        await asyncio.sleep(1.0)

    with sim:
        sim.run(main())
    assert handler.effects == [b"a"]


@pytest.mark.parametrize("leg", ["net.request", "net.response"])
def test_a_delay_spike_adds_latency_to_one_leg_and_reorders_requests(leg: str) -> None:
    sim, net, transport, handler = world()
    net.fault_hook = ScriptedHook({(leg, 1): NetFault("delay_spike", delay_s=3.0)})

    async def main():
        first = asyncio.ensure_future(transport.post("http://riskcast/x", b"first", 10.0))
        await asyncio.sleep(0.1)
        second = await transport.post("http://riskcast/x", b"second", 10.0)
        assert not first.done()
        return (await first), second

    with sim:
        first, second = sim.run(main())
    assert first[1].endswith(b"first") and second[1].endswith(b"second")
    assert sim.now_s >= 3.0
    if leg == "net.request":
        assert handler.effects == [b"second", b"first"]


def test_a_partition_drops_both_ways_for_its_window_and_heals() -> None:
    sim, net, transport, handler = world()
    back = Counter()
    net.register("omen", sim.node("omen"), back)
    reverse = net.transport(sim.node("riskcast"))
    net.partition("omen", "riskcast", 10.0, refuse=False)

    async def main():
        with pytest.raises(TimeoutError):
            await transport.post("http://riskcast/x", b"a", 1.0)
        with pytest.raises(TimeoutError):
            await reverse.post("http://omen/x", b"b", 1.0)
        await asyncio.sleep(10.0)  # the window ends at t=10
        return await transport.post("http://riskcast/x", b"c", 1.0), await reverse.post("http://omen/x", b"d", 1.0)

    with sim:
        (s1, _), (s2, _) = sim.run(main())
    assert (s1, s2) == (200, 200)
    assert handler.effects == [b"c"] and back.effects == [b"d"]


def test_a_refusing_partition_refuses_and_heal_ends_it_at_once() -> None:
    sim, net, transport, handler = world()
    net.partition("riskcast", "omen", 1000.0, refuse=True)
    with sim:
        with pytest.raises(ConnectionRefusedError):
            sim.run(transport.post("http://riskcast/x", b"a", 1.0))
        net.heal()
        assert sim.run(transport.post("http://riskcast/x", b"b", 1.0))[0] == 200
        assert sim.now_s < 1.0


def test_a_partition_fault_from_the_hook_cuts_the_pair_for_its_duration() -> None:
    sim, net, transport, handler = world()
    net.fault_hook = ScriptedHook({("net.request", 1): NetFault("partition", duration_s=5.0, refuse=True)})

    async def main():
        outcomes = []
        for _ in range(4):
            try:
                await transport.post("http://riskcast/x", b"a", 1.0)
                outcomes.append("ok")
            except ConnectionRefusedError:
                outcomes.append("refused")
            await asyncio.sleep(2.0)
        return outcomes

    with sim:
        assert sim.run(main()) == ["refused", "refused", "refused", "ok"]
    partition = [e for e in sim.trace.events if e.kind == "net.partition"]
    assert len(partition) == 1 and partition[0].fields["until_s"] == pytest.approx(5.0, abs=0.01)


def test_a_response_in_flight_is_lost_when_a_partition_starts() -> None:
    sim, net, transport, _ = world()
    slow = Counter(work_s=1.0)
    net.register("riskcast", sim.node("riskcast"), slow)

    async def main():
        pending = asyncio.ensure_future(transport.post("http://riskcast/x", b"a", 3.0))
        await asyncio.sleep(0.5)
        net.partition("omen", "riskcast", 10.0, refuse=False)
        with pytest.raises(TimeoutError):
            await pending

    with sim:
        sim.run(main())
    assert slow.effects == [b"a"]


def test_the_same_seed_gives_the_same_trace_and_another_seed_other_latencies() -> None:
    def run(seed: int) -> str:
        sim, net, transport, _ = world(seed)

        async def main():
            await asyncio.gather(*(transport.post("http://riskcast/x", bytes([i]), 1.0) for i in range(20)))

        with sim:
            sim.run(main())
            return sim.trace.hash()

    assert run(3) == run(3)
    assert run(3) != run(4)


@pytest.mark.parametrize(
    ("url", "body", "timeout_s", "error"),
    [
        ("riskcast/x", b"", 1.0, ValueError),
        ("http://riskcast/x", "text", 1.0, TypeError),
        ("http://riskcast/x", b"", 0.0, ValueError),
        ("http://riskcast/x", b"", float("nan"), ValueError),
    ],
)
def test_bad_arguments_get_a_clear_typed_error(url, body, timeout_s, error) -> None:
    sim, net, transport, _ = world()
    with sim, pytest.raises(error):
        sim.run(transport.post(url, body, timeout_s))


def test_bad_configuration_is_refused() -> None:
    sim = Simulation(1)
    with pytest.raises(ValueError):
        SimNetwork(sim, rng=sim.rng.stream("network"), latency_s_min=0.01, latency_s_max=0.001)
    net = SimNetwork(sim, rng=sim.rng.stream("network"))
    with pytest.raises(ValueError):
        net.register("a/b", sim.node("x"), Counter())
    with pytest.raises(ValueError, match="unknown network fault"):
        NetFault("explode")
    sim.close()
