"""Render a timeline model as one self-contained HTML file (inline CSS, script, SVG; no network).

WHY `string.Template` and no templating library: the page is a fixed shell around one JSON
document and a short header; five substitutions do not earn a dependency, and the header's few
values are escaped here with `html.escape`. The drawing happens in the page's own script
(`assets/timeline.js`), which is shipped as package data and inlined verbatim.
"""
from __future__ import annotations

import html
from importlib import resources
from pathlib import Path
from string import Template
from typing import Any

from scenarios.report.timeline_model import TimelineModel

__all__ = ["render_timeline", "write_timeline", "asset_text"]

PLAN_KINDS_SHOWN_MAX = 60


def asset_text(name: str) -> str:
    """A file of the package's assets directory (shipped as package data)."""
    return resources.files("scenarios.report").joinpath("assets", name).read_text(encoding="utf-8")


def _plan_html(plan: dict[str, Any] | None) -> str:
    if not plan:
        return "<i>none recorded</i>"
    rows = []
    for kind, spec in list(sorted(plan.get("kinds", {}).items()))[:PLAN_KINDS_SHOWN_MAX]:
        window = spec.get("window_s")
        window_text = f"{window[0]:.2f}..{window[1]:.2f} s" if window else "whole run"
        params = ", ".join(f"{name}={low:g}..{high:g}" for name, (low, high) in sorted(spec.get("params", {}).items()))
        rows.append(f"<tr><td>{html.escape(kind)}</td><td>p={spec.get('probability', 0):.4f}</td>"
                    f"<td>{html.escape(window_text)}</td><td>{html.escape(params)}</td></tr>")
    for crash in plan.get("crashes", []):
        rows.append(f"<tr><td>crash {html.escape(str(crash.get('node')))}</td><td>at {crash.get('at_s', 0):g} s</td>"
                    f"<td>restart after {crash.get('restart_after_s', 0):g} s</td><td></td></tr>")
    for clock in plan.get("clock", []):
        rows.append(f"<tr><td>clock {html.escape(str(clock.get('kind')))} {html.escape(str(clock.get('node')))}</td>"
                    f"<td>at {clock.get('at_s', 0):g} s</td><td>value {clock.get('value', 0):g}</td><td></td></tr>")
    return "<table>" + "".join(rows) + "</table>" if rows else "<i>no faults</i>"


def _header_html(model: TimelineModel) -> str:
    header = model.header
    items: list[tuple[str, str]] = [("source", html.escape(header.source))]
    if header.scenario is not None:
        items.append(("scenario", html.escape(header.scenario)))
    if header.seed is not None:
        items.append(("seed", str(int(header.seed))))
    items.append(("planted bug", html.escape(header.bug) if header.bug else "none"))
    items.append(("fault plan", _plan_html(header.plan)))
    hash_text = html.escape(model.trace_hash)
    if header.expected_trace_hash is not None:
        same = header.expected_trace_hash == model.trace_hash
        hash_text += (' <span class="good">(replays to the recorded hash)</span>' if same else
                      f' <span class="bad">(DIFFERS from the recorded {html.escape(header.expected_trace_hash)})</span>')
    items.append(("trace hash", hash_text))
    items.append(("events", f"{model.event_count} events over {model.sim_seconds:.3f} sim s"))
    verdict = (f'<span class="bad">{len(model.violations)} violation(s)</span>' if model.violations
               else '<span class="good">none</span>')
    items.append(("violations", verdict))
    if header.replay_command:
        items.append(("replay", f"<code>{html.escape(header.replay_command)}</code>"))
    for note in header.notes:
        items.append(("note", html.escape(note)))
    return "<dl>" + "".join(f"<dt>{name}</dt><dd>{value}</dd>" for name, value in items) + "</dl>"


def _violations_html(model: TimelineModel) -> str:
    rows = []
    for number, violation in enumerate(model.violations):
        cited = ", ".join(f"#{i}" for i in violation["trace_indices"][:12])
        rows.append(f'<li class="violation" data-v="{number}"><b>{html.escape(violation["invariant"])}</b> '
                    f'{html.escape(violation["message"])}<br><small>events {html.escape(cited) or "none cited"}'
                    f'</small></li>')
    return "".join(rows) or '<li class="hint">every invariant held (or the trace came without a verdict)</li>'


def render_timeline(model: TimelineModel) -> str:
    header = model.header
    title = "omen-sim timeline: " + (f"{header.scenario} seed {header.seed}" if header.scenario else header.source)
    if header.bug:
        title += f" (bug {header.bug})"
    return Template(asset_text("timeline.html")).substitute(
        title=html.escape(title),
        css=asset_text("timeline.css"),
        header=_header_html(model),
        violation_count=str(len(model.violations)),
        violations=_violations_html(model),
        # inside <script>, "</script" or "<!--" would end or confuse it: "<" only occurs in JSON strings
        model=model.document_text.replace("<", "\\u003c"),
        script=asset_text("timeline.js"),
    )


def write_timeline(model: TimelineModel, out: str | Path) -> Path:
    target = Path(out)
    target.parent.mkdir(parents=True, exist_ok=True)
    temp = target.with_name(target.name + ".tmp")
    temp.write_text(render_timeline(model), encoding="utf-8", newline="\n")
    temp.replace(target)
    return target
