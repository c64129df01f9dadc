"""A shape's fills (the f-strings that write its canonical line) write exactly the encoder's line.

A fill is specialised to the value types of the event it was made from; every later event of the
shape, whatever its types, must still get the encoder's line (through a fill when the types match
one, through the template when they match none).
"""
from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st

from sim import trace as trace_module
from sim.trace import TraceEvent, _canonical_line_encoded, _line_templates, canonical_line


class Text(str):
    """A str subclass: not the type a fill was made for."""


SCALARS = st.one_of(st.text(), st.integers(), st.booleans(), st.none(),
                    st.builds(Text, st.text(max_size=4)), st.floats(), st.lists(st.text(), max_size=2))
NAMES = st.sampled_from(["a", "b", "req", "%s", "{x}", 'q"uote', "é", ""])


@given(st.lists(st.tuples(st.integers(min_value=0), st.floats(allow_nan=True, allow_infinity=True),
                          st.sampled_from(["omen", "n{0}", "ü"]), st.sampled_from(["net.send", "k%s", "}"]),
                          st.dictionaries(NAMES, SCALARS, max_size=4)),
                min_size=1, max_size=12))
def test_every_event_of_a_shape_gets_the_encoders_line_whatever_types_the_first_one_had(events: list) -> None:
    _line_templates.clear()  # the first event below decides each shape's fill
    for index, time_s, node, kind, fields in events:
        event = TraceEvent(index, time_s, node, kind, fields)
        assert canonical_line(event) == _canonical_line_encoded(event)


def _fill_of(event: TraceEvent):
    _line_templates.clear()
    canonical_line(event)
    (names, template, fills, tried), = _line_templates.values()
    assert tried == 1 and len(fills) <= 1
    return fills[0] if fills else None


def test_a_shape_of_str_int_bool_and_none_values_gets_a_fill_that_writes_the_line() -> None:
    event = TraceEvent(7, 1.25, "omen", "emit.result",
                       {"status": "delivered", "sequence": 12, "durable": True, "ack_id": None})
    fill = _fill_of(event)
    assert fill is not None
    assert fill(event.fields, event.index, event.time_s) == _canonical_line_encoded(event)
    other = {"status": 'a"\u00e9\n', "sequence": -3, "durable": False, "ack_id": None}
    assert fill(other, 0, -0.0) == _canonical_line_encoded(TraceEvent(0, -0.0, "omen", "emit.result", other))
    empty = TraceEvent(1, 2.0, "world", "converged", {})
    assert _fill_of(empty)({}, 1, 2.0) == _canonical_line_encoded(empty)


def test_a_fill_answers_none_for_any_value_of_another_type_and_for_a_time_or_index_it_does_not_write() -> None:
    fields = {"status": "delivered", "sequence": 12, "durable": True, "ack_id": None}
    fill = _fill_of(TraceEvent(7, 1.25, "omen", "emit.result", fields))
    for name, value in [("status", Text("x")), ("status", 1), ("sequence", True), ("sequence", 1.0),
                        ("sequence", "12"), ("durable", 1), ("durable", None), ("ack_id", "a"), ("ack_id", False)]:
        assert fill({**fields, name: value}, 7, 1.25) is None, (name, value)
    for time_s in (math.inf, -math.inf, math.nan, 1):
        assert fill(fields, 7, time_s) is None, time_s
    assert fill(fields, True, 1.25) is None
    assert fill(fields, 7.0, 1.25) is None


def test_a_shape_whose_values_change_type_makes_a_fill_for_each_new_combination_up_to_its_bound() -> None:
    _line_templates.clear()
    fields = {"status": "delivered", "sequence": 12, "durable": True, "ack_id": None}
    changed = [{**fields, "ack_id": "a"}, {**fields, "sequence": None}, {**fields, "status": 3},
               {**fields, "durable": "yes"}, {**fields, "ack_id": 1}]
    for number, values in enumerate([fields, *changed, fields, changed[0]]):
        event = TraceEvent(number, 1.25, "omen", "emit.result", values)
        assert canonical_line(event) == _canonical_line_encoded(event)
    (names, template, fills, tried), = _line_templates.values()
    assert tried == trace_module.LINE_FILLS_MAX and len(fills) == trace_module.LINE_FILLS_MAX
    assert fills[1](changed[0], 0, 0.5) == _canonical_line_encoded(TraceEvent(0, 0.5, "omen", "emit.result", changed[0]))
    assert fills[0](changed[0], 0, 0.5) is None


def test_a_shape_whose_first_event_holds_a_list_or_a_float_gets_no_fill() -> None:
    assert _fill_of(TraceEvent(0, 0.0, "omen", "ledger.sealed", {"segments": ["a"]})) is None
    assert _fill_of(TraceEvent(0, 0.0, "omen", "k", {"until_s": 1.5, "req": 1})) is None


def test_the_memo_of_shapes_stays_within_its_bound() -> None:
    _line_templates.clear()
    for serial in range(trace_module.LINE_TEMPLATES_MAX + 10):
        event = TraceEvent(serial, 0.5, "omen", f"kind{serial}", {"req": serial})
        assert canonical_line(event) == _canonical_line_encoded(event)
        assert len(_line_templates) <= trace_module.LINE_TEMPLATES_MAX
