"""The record of a request in flight (`_Call`), built slot by slot in `_post`, is the dataclass's own."""
from __future__ import annotations

import dataclasses

from sim.network import SimNetwork, _Call
from sim.simulation import Simulation


def test_the_call_a_request_makes_is_the_one_its_dataclass_builds_from_the_same_values() -> None:
    sim = Simulation(2)
    net = SimNetwork(sim, rng=sim.rng.stream("network"))
    client, server = sim.node("omen"), sim.node("riskcast")
    server.crash()
    server.restart()  # an incarnation of 1 on the destination, 0 on the source: the two stay apart

    async def handler(path: str, body: bytes):
        return 200, b"ok"

    net.register("riskcast", server, handler)
    delivered: list[_Call] = []
    deliver = net._deliver

    def spy(call: _Call, duplicate: bool) -> None:
        delivered.append(call)
        deliver(call, duplicate)

    net._deliver = spy
    with sim:
        assert sim.run(net.transport(client).post("http://riskcast/in?x", b"body", 1.0)) == (200, b"ok")
    (call,) = delivered
    names = [field.name for field in dataclasses.fields(_Call)]
    assert set(names) == set(_Call.__slots__)
    expected = _Call(1, client, 0, net._endpoints["riskcast"], 1, "/in?x", b"body", call.future)
    assert [getattr(call, name) for name in names] == [getattr(expected, name) for name in names]
    assert call == expected and type(call) is _Call
