"""The run's trace: every step of interest as (index, sim time, node, kind, fields).

WHY tuples now and JSON later: a run may record a million events, so `record` only
appends a tuple (a few hundred nanoseconds). The canonical form (sorted keys, fixed
float formatting, bytes as hex) is built lazily when someone hashes, diffs or writes the
trace. Its SHA-256 is the trace hash: same seed and same code give the same hash in any
process, whatever PYTHONHASHSEED.

Field values are stored by reference: do not mutate a list or dict after recording it.
"""
from __future__ import annotations

import hashlib
import itertools
import json
from json.encoder import encode_basestring_ascii
import math
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Mapping, NamedTuple

from sim.clock import CalledTime
from sim.errors import HarnessError
from sim.json_encoder import encoder_of

__all__ = ["TraceEvent", "Trace", "TraceFieldError", "TraceKindError", "canonical_line", "hash_lines"]

# Fixed formatting: microseconds are finer than anything the system measures, and a fixed
# width avoids two runs that differ only in float noise beyond it hashing differently.
TIME_FORMAT = "%.6f"
FLOAT_FORMAT = "%.6f"
NESTING_DEPTH_MAX = 32

# The C string escaper behind json.dumps(ensure_ascii=True): same escaping, no per-call setup.
_json_str: Callable[[str], str] = encode_basestring_ascii


class TraceEvent(NamedTuple):
    index: int
    time_s: float
    node: str
    kind: str
    fields: dict


class TraceFieldError(TypeError):
    """A recorded field value has no canonical form (the trace cannot be hashed)."""


class TraceKindError(HarnessError, ValueError):
    """An event of a kind (or with a field) outside the catalogue the trace was restricted to."""


_new_event = tuple.__new__


def _default_time() -> float:
    return 0.0


class Trace:
    """An append-only list of events, cheap to record, canonical on demand."""

    __slots__ = ("events", "_time", "_kinds")

    def __init__(self, time_fn: Callable[[], float] = _default_time, *, time_source: Any = None) -> None:
        """Events are stamped with `time_fn()`; or, when `time_source` is given, with its `_now_s`
        attribute (the simulation's loop: a read, not a call; see `sim.clock.CalledTime`)."""
        assert callable(time_fn), "time_fn must be a zero-argument callable returning seconds"
        self.events: list[TraceEvent] = []
        self._time = CalledTime(time_fn) if time_source is None else time_source
        self._kinds: Mapping[str, frozenset[str]] | None = None

    def restrict(self, kinds: Mapping[str, frozenset[str]]) -> None:
        """From now on, refuse (TraceKindError) an event whose kind is not in `kinds` or that carries
        a field its kind does not declare. WHY: a kind is a contract between the code that records it
        and the checkers that read it; a typo on either side must fail loudly, not match nothing."""
        assert all(type(name) is str for name in kinds), "trace kinds are strings"
        self._kinds = {name: frozenset(fields) for name, fields in kinds.items()}

    def record(self, node: str, kind: str, /, **fields: Any) -> int:
        """Append one event stamped with the current sim time; return its index.

        WHY `node` and `kind` positional-only: CPython matches each keyword a call passes against the
        parameters it may name, by pointer and then, failing that, by comparing the strings; a field
        is none of them, so every field of every event was compared with `self`, `node` and `kind`
        (about 240 instructions a field, 1 k an average event). Positional-only, they are not
        candidates: a field goes straight into `fields`. (A field may now be called `node` or `kind`;
        a restricted trace still refuses any field its kind does not declare.)
        """
        kinds = self._kinds
        if kinds is not None:
            declared = kinds.get(kind)
            if declared is None or not declared.issuperset(fields):  # the same test, inline: every event
                self._check_kind(kind, fields)  # raises the error that names what is wrong
        events = self.events
        index = len(events)
        events.append(_new_event(TraceEvent, (index, self._time._now_s, node, kind, fields)))
        return index

    def record_fields(self, node: str, kind: str, fields: dict, /) -> int:
        """`record(node, kind, **fields)` for a caller that built the fields' dict itself; the event
        keeps that dict (do not change it afterwards).

        WHY: a caller merging a dict of its own into the fields (`record(..., **extra)`) had CPython
        build one dict, spread it into keywords and build the event's dict again from them (about
        1 k instructions for the network's "net.send" of every request, six fields).
        """
        assert type(fields) is dict, "the fields of an event are a dict"
        kinds = self._kinds
        if kinds is not None:
            declared = kinds.get(kind)
            if declared is None or not declared.issuperset(fields):
                self._check_kind(kind, fields)
        events = self.events
        index = len(events)
        events.append(_new_event(TraceEvent, (index, self._time._now_s, node, kind, fields)))
        return index

    def _check_kind(self, kind: str, fields: dict) -> None:
        assert self._kinds is not None
        declared = self._kinds.get(kind)
        if declared is None:
            raise TraceKindError(
                f"trace kind {kind!r} is not in the catalogue; add it (with its fields) to the catalogue "
                f"the trace was restricted to, or use one of: {', '.join(sorted(self._kinds))}")
        if not fields.keys() <= declared:
            raise TraceKindError(
                f"trace kind {kind!r} does not declare field(s) {sorted(set(fields) - declared)}; "
                f"its fields: {sorted(declared)}")

    def __len__(self) -> int:
        return len(self.events)

    def canonical_lines(self) -> Iterator[str]:
        """One JSON object per event: keys sorted, time and floats as '%.6f', bytes as hex."""
        for event in self.events:
            yield canonical_line(event)

    def hash(self, events_count: int | None = None) -> str:
        """SHA-256 hex over the canonical lines joined with '\\n' (no trailing newline): of every event,
        or of the first `events_count` (the trace as it stood when it held that many)."""
        events = self.events
        if events_count is None:
            events_count = len(events)
        assert 0 <= events_count <= len(events), (events_count, len(events))
        # `hash_lines(map(canonical_line, events[:events_count]))`, a chunk of lines joined in C at a
        # time: no Python step per line (the same bytes reach the digest, so the same hash)
        digest = hashlib.sha256()
        for start in range(0, events_count, HASH_CHUNK_LINES):
            if start:
                digest.update(b"\n")
            end = min(start + HASH_CHUNK_LINES, events_count)
            digest.update("\n".join(map(canonical_line, events[start:end])).encode("utf-8"))
        return digest.hexdigest()

    def write_jsonl(self, path: str | Path) -> None:
        """Write the canonical lines as JSON Lines, one event per line (newline-terminated)."""
        with open(path, "w", encoding="utf-8", newline="\n") as out:
            for line in self.canonical_lines():
                out.write(line)
                out.write("\n")

    def of_kind(self, kind: str) -> list[TraceEvent]:
        """The events of one kind, in order (a convenience for checkers and tests)."""
        return [event for event in self.events if event[3] == kind]

    def __repr__(self) -> str:
        return f"Trace({len(self.events)} events)"


# Lines hashed per digest update: one join and one encode per chunk instead of two updates per
# line; the bytes fed to SHA-256 are the same ('\n' between lines), so the hash is too.
HASH_CHUNK_LINES = 4096


def hash_lines(lines: Iterable[str]) -> str:
    """SHA-256 hex of `lines` joined with '\\n': the trace hash of already-canonical lines."""
    digest = hashlib.sha256()
    chunk: list[str] = []
    first = True
    for line in lines:
        chunk.append(line)
        if len(chunk) >= HASH_CHUNK_LINES:
            digest.update((("" if first else "\n") + "\n".join(chunk)).encode("utf-8"))
            chunk.clear()
            first = False
    if chunk:
        digest.update((("" if first else "\n") + "\n".join(chunk)).encode("utf-8"))
    return digest.hexdigest()


_FLAT_TYPES = frozenset({str, int, bool, type(None)})
# ASCII escaping, "," and ":" separators, sorted keys: the canonical text of a flat dict (see sim.json_encoder)
_dumps_flat: Callable[[dict], str] = encoder_of(json.JSONEncoder(ensure_ascii=True, separators=(",", ":"), sort_keys=True))


def _is_flat(fields: dict) -> bool:
    """True when every value is a str, int, bool or None, or a list of str: the common event, whose
    canonical form is exactly what the C JSON encoder writes (no floats to format, no bytes)."""
    for value in fields.values():
        kind = type(value)
        if kind in _FLAT_TYPES:
            continue
        if kind is list and all(type(item) is str for item in value):
            continue
        return False
    for key in fields:  # a loop, not all(<generator>): this runs for every event of every hash
        if type(key) is not str:
            return False
    return True


_LIST_TYPE_ONLY = frozenset({list})


def _is_list_of_flat_lists(value: list) -> bool:
    """True when `value` is a non-empty list of lists whose items are all str, int, bool or None: a
    table such as `ledger.manifest`'s segments. The C encoder writes exactly `_encode`'s text for it
    (no float to format, no bytes, no nesting deeper than two), and the test is two passes in C.

    WHY: an open day's manifest event lists every segment twice (claims and files, four values
    each), so at 100,000 signals each of these events took about 8,000 `_encode` calls."""
    return (_LIST_TYPE_ONLY.issuperset(map(type, value))
            and _FLAT_TYPES.issuperset(map(type, itertools.chain.from_iterable(value))))


# (kind, node, field names in the event's order) -> [field names sorted, the line's %-template, the
# shape's fills, how many fills were tried]: the text of an event around its values, built once per
# shape. A run records a handful of shapes (about 7 events per simulated signal) and the line is
# mostly that text; bounded like any memo, and a shape makes at most LINE_FILLS_MAX fills.
LINE_TEMPLATES_MAX = 4096
LINE_FILLS_MAX = 4
_line_templates: dict[tuple, list] = {}
_LITERALS = {None: "null", True: "true", False: "false"}


def canonical_line(event: TraceEvent) -> str:
    """The canonical JSON text of one event (keys in sorted order: fields, i, kind, node, t).

    WHY a template: building the line through the JSON encoder cost about 24 k instructions per
    event, a tenth of a simulated signal's cost at hash time. An event whose values are all str,
    int, bool, None or lists of str (nearly every one) fills its shape's template instead, value by
    value, with the same escaping (the encoder's own `encode_basestring_ascii`) and the same int
    text; anything else takes the encoder's path (`_canonical_line_encoded`), which a test holds
    equal to this one for every value type. Before the template, the shape's fills (see
    `_line_fill`) write the line in one f-string when every value has the types one of them was made
    for: the first event of a shape with new types makes one, up to LINE_FILLS_MAX of them.
    """
    index, time_s, node, kind, fields = event
    shape = (kind, node, *fields)
    found = _line_templates.get(shape)
    if found is None:
        found = _line_template(shape, fields)
        if found is None:
            return _canonical_line_encoded(event)
    names, template, fills, tried = found
    for fill in fills:
        line = fill(fields, index, time_s)
        if line is not None:
            return line
    if tried < LINE_FILLS_MAX:
        found[3] = tried + 1
        fill = _line_fill(kind, node, names, fields)
        if fill is not None:
            found[2] = (*fills, fill)
            line = fill(fields, index, time_s)
            if line is not None:
                return line
    values: list[Any] = []
    for name in names:
        value = fields[name]
        value_type = type(value)
        if value_type is str:
            values.append(_json_str(value))
        elif value_type is int:
            values.append(int.__repr__(value))
        elif value is None or value is True or value is False:
            values.append(_LITERALS[value])
        elif value_type is list and all(type(item) is str for item in value):
            values.append("[" + ",".join(map(_json_str, value)) + "]")
        elif value_type is list and _is_list_of_flat_lists(value):
            values.append(_dumps_flat(value))
        else:
            return _canonical_line_encoded(event)  # a float, bytes or a container: the encoder's path
    values.append(index)
    # _format_float inline for a finite float (x - x is 0.0 only then): every event has a time
    values.append(FLOAT_FORMAT % time_s if type(time_s) is float and time_s - time_s == 0.0 else _format_float(time_s))
    return template % tuple(values)


def _line_template(shape: tuple, fields: dict) -> list | None:
    """The template of an event shape, remembered; None when the shape has a non-str name."""
    kind, node = shape[0], shape[1]
    if type(kind) is not str or type(node) is not str or not all(type(name) is str for name in fields):
        return None
    names = tuple(sorted(fields))
    fields_template = ",".join(_json_str(name).replace("%", "%%") + ":%s" for name in names)
    template = (f'{{"fields":{{{fields_template}}},"i":%s,"kind":{_json_str(kind).replace("%", "%%")},'
                f'"node":{_json_str(node).replace("%", "%%")},"t":%s}}')
    if len(_line_templates) >= LINE_TEMPLATES_MAX:
        _line_templates.clear()  # a pure function's memo: dropping it changes nothing but speed
    found = _line_templates[shape] = [names, template, (), 0]
    return found


# The value types a fill writes itself, and the expression that writes each (`v` is the value):
# exactly the template path's text for that type.
_FILL_TEXT = {str: "_json_str({v})", int: "{v}", bool: "_LITERALS[{v}]", type(None): "_null"}
_FILL_TEST = {str: "type({v}) is _str", int: "type({v}) is _int", bool: "type({v}) is _bool",
              type(None): "{v} is None"}


def _line_fill(kind: str, node: str, names: tuple[str, ...], fields: dict) -> Callable[[dict, Any, Any], str | None] | None:
    """A function `fill(fields, index, time_s)` that writes the shape's line in one f-string, or None
    when this event of the shape holds a value of another type (a list, a float: the template's work).

    WHY: filling the %-template costs a Python loop over the values, a type dispatch per value and a
    parse of the template at every event (about 18 k instructions an event, the bulk of a trace
    hash). A shape's values nearly always keep their types, so a fill tests each value's type once,
    as the event it was made from had it, and builds the line with the same escaper, the same int
    text and the same float format as the template; any other type (or a non-int index, a
    non-finite time) makes it answer None and the next fill or the template writes the line. The
    generated source holds only generated names: every text (names, kind, node) reaches it as a
    constant, never as code.
    """
    value_types = [type(fields[name]) for name in names]
    if not all(value_type in _FILL_TEXT for value_type in value_types):
        return None
    constants: dict[str, Any] = {"_json_str": _json_str, "_LITERALS": _LITERALS, "_str": str, "_int": int,
                                 "_bool": bool, "_float": float, "_null": "null"}
    loads, tests, parts = [], ["type(index) is _int", "type(time_s) is _float", "time_s - time_s == 0.0"], []
    for position, (name, value_type) in enumerate(zip(names, value_types)):
        value, key, text = f"v{position}", f"k{position}", f"p{position}"
        constants[key] = name
        constants[text] = ("{" if position == 0 else ",") + _json_str(name) + ":"
        loads.append(f"    {value} = fields[{key}]")
        tests.append(_FILL_TEST[value_type].format(v=value))
        parts.append("{" + text + "}{" + _FILL_TEXT[value_type].format(v=value) + "}")
    constants["p_open"] = '{"fields":' + ("" if names else "{")
    constants["p_index"] = '},"i":'
    constants["p_time"] = f',"kind":{_json_str(kind)},"node":{_json_str(node)},"t":'
    source = "\n".join([
        "def fill(fields, index, time_s):",
        *loads,
        "    if not (" + " and ".join(tests) + "):",
        "        return None",
        '    return f"{p_open}' + "".join(parts) + '{p_index}{index}{p_time}{time_s:.6f}}}"',
    ])
    exec(compile(source, f"<trace line fill {len(names)}>", "exec"), constants)  # noqa: S102 - generated names only
    return constants["fill"]


def _canonical_line_encoded(event: TraceEvent) -> str:
    """`canonical_line` through the JSON encoder: any event, and the reference for the template path."""
    index, time_s, node, kind, fields = event
    try:
        fields_text = _dumps_flat(fields) if _is_flat(fields) else _encode(fields, 0)
    except TraceFieldError as error:
        raise TraceFieldError(
            f"trace event {index} (node={node!r}, kind={kind!r}) has a field without a canonical "
            f"form: {error}. Record only str, int, float, bool, None, bytes, lists, tuples and "
            f"dicts with str keys (convert other objects to one of these first)."
        ) from None
    return (
        f'{{"fields":{fields_text},"i":{index},"kind":{_json_str(kind)},'
        f'"node":{_json_str(node)},"t":{_format_float(time_s)}}}'
    )


def _format_float(value: float) -> str:
    if math.isfinite(value):
        return FLOAT_FORMAT % value
    return _json_str("nan" if value != value else ("inf" if value > 0 else "-inf"))


def _encode(value: Any, depth: int) -> str:
    """Canonical JSON of one field value (the slow path, for floats, bytes and containers)."""
    if depth > NESTING_DEPTH_MAX:
        raise TraceFieldError(f"nesting deeper than {NESTING_DEPTH_MAX} (a cycle?)")
    kind = type(value)
    if kind is str:
        return _json_str(value)
    if kind is int:
        return str(value)
    if value is None or value is True or value is False:
        return "null" if value is None else ("true" if value else "false")
    if isinstance(value, str):
        return _json_str(str(value))
    if isinstance(value, int):
        return str(int(value))
    if isinstance(value, float):
        return _format_float(float(value))
    if isinstance(value, (bytes, bytearray, memoryview)):
        return _json_str(bytes(value).hex())
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(_encode(item, depth + 1) for item in value) + "]"
    if isinstance(value, dict):
        for key in value:
            if not isinstance(key, str):
                raise TraceFieldError(f"dict key {key!r} is a {type(key).__name__}, not a str")
        parts = [f"{_json_str(str(key))}:{_encode(value[key], depth + 1)}" for key in sorted(value)]
        return "{" + ",".join(parts) + "}"
    raise TraceFieldError(f"value {value!r} of type {type(value).__name__}")
