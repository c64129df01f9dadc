"""The summary page of a sweep or a hunt: runs and violations per scenario and invariant, fault
kinds fired, wall and simulated time; for a hunt, the seeds and seconds to catch each planted bug.

Built from the same JSON documents `omen-sim sweep --json` and `hunt --json` write, so a page can
be made again later from a CI artifact (`omen-sim report ci-sweep.json --html sweep.html`). Each
violation links to its repro file and, where one was written, to its timeline page. Static HTML
with inline SVG charts: no script needed, deterministic for the same document.
"""
from __future__ import annotations

import html
import os
from collections import Counter
from pathlib import Path
from typing import Any

from scenarios.report.errors import ReportInputError
from scenarios.report.svg_charts import Bar, bar_chart
from scenarios.report.timeline_page import asset_text

__all__ = ["SummaryDocumentError", "render_sweep_page", "render_hunt_page", "is_sweep_document",
           "is_hunt_document"]

VIOLATIONS_LISTED_MAX = 500
SWEEP_KEYS = ("runs", "violations", "invariants", "faults", "per_scenario", "sim_seconds", "wall_seconds")


class SummaryDocumentError(ReportInputError):
    """A sweep or hunt document is not one (a field is missing or of the wrong type)."""


def is_sweep_document(document: Any) -> bool:
    return isinstance(document, dict) and "per_scenario" in document and "runs" in document


def is_hunt_document(document: Any) -> bool:
    return isinstance(document, dict) and isinstance(document.get("bugs"), list)


def link(target: str | None, page: Path) -> str | None:
    """`target` (a path as the sweep wrote it) relative to the page's directory, as a URL path."""
    if not target:
        return None
    try:
        relative = os.path.relpath(Path(target).resolve(), page.resolve().parent)
    except ValueError:  # another drive: no relative path exists
        return Path(target).resolve().as_uri()
    return Path(relative).as_posix()


def _page(title: str, body: str) -> str:
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta name=\"generator\" content=\"omen-sim report\">\n"
            f"<title>{html.escape(title)}</title>\n<style>\n{asset_text('summary.css')}</style>\n</head>\n"
            f"<body>\n<h1>{html.escape(title)}</h1>\n{body}\n</body>\n</html>\n")


def _links(repro: str | None, timelines: dict[str, str], page: Path) -> str:
    parts = []
    href = link(repro, page)
    if href:
        parts.append(f'<a class="repro" href="{html.escape(href)}">repro</a>')
        timeline = timelines.get(str(repro))
        timeline_href = link(timeline, page)
        if timeline_href:
            parts.append(f'<a class="timeline" href="{html.escape(timeline_href)}">timeline</a>')
    return " ".join(parts) or "<i>no repro written</i>"


def _require(document: dict[str, Any], keys: tuple[str, ...], what: str) -> None:
    missing = [key for key in keys if key not in document]
    if missing:
        raise SummaryDocumentError(f"not a {what} document: missing {', '.join(missing)} "
                                   f"(write one with `omen-sim {what} --json FILE`)")


def render_sweep_page(document: dict[str, Any], *, page: Path, timelines: dict[str, str]) -> str:
    _require(document, SWEEP_KEYS, "sweep")
    try:
        violations = list(document["violations"])
        per_scenario = dict(document["per_scenario"])
        faults = {str(kind): int(count) for kind, count in dict(document["faults"]).items()}
        invariants = sorted(dict(document["invariants"]))
        matrix = Counter((str(v["scenario"]), str(v["invariant"])) for v in violations)
        runs, sim_s, wall_s = int(document["runs"]), float(document["sim_seconds"]), float(document["wall_seconds"])
    except (TypeError, KeyError, ValueError) as error:
        raise SummaryDocumentError(f"not a sweep document: {error}") from None
    never = [str(kind) for kind in document.get("faults_never_fired", [])]
    failed_runs = sum(int(row.get("failed", 0)) for row in per_scenario.values())
    head = (f'<p class="verdict {"bad" if violations else "good"}">{runs} runs, {failed_runs} failed, '
            f'{len(violations)} violations; {int(document.get("signals", 0))} signals; '
            f'{sim_s:,.0f} sim s in {wall_s:,.1f} wall s ({sim_s / max(wall_s, 1e-9):,.0f}x)</p>')
    if never:
        head += f'<p class="bad">fault kinds switched on but never fired: {html.escape(", ".join(never))}</p>'
    header_cells = "".join(f'<th class="inv">{html.escape(name)}</th>' for name in invariants)
    rows = []
    for scenario in sorted(per_scenario):
        row = per_scenario[scenario]
        cells = "".join(
            f'<td class="{"bad" if matrix[(scenario, name)] else "zero"}">{matrix[(scenario, name)] or ""}</td>'
            for name in invariants)
        rows.append(f"<tr><th>{html.escape(scenario)}</th><td>{int(row.get('runs', 0))}</td>"
                    f"<td class=\"{'bad' if row.get('failed') else 'zero'}\">{int(row.get('failed', 0))}</td>{cells}</tr>")
    totals = "".join(f"<td>{int(document['invariants'][name].get('violated', 0))}</td>" for name in invariants)
    table = (f'<h2>Runs and violations per scenario and invariant</h2><table class="matrix"><thead><tr><th>scenario</th>'
             f"<th>runs</th><th>failed</th>{header_cells}</tr></thead><tbody>{''.join(rows)}</tbody>"
             f"<tfoot><tr><th>runs failing it</th><td>{runs}</td><td>{failed_runs}</td>{totals}</tr></tfoot></table>")
    fault_bars = [Bar(kind, count, f"{count:,}", "bar" if count else "bar never") for kind, count in sorted(faults.items())]
    charts = "<h2>Fault kinds fired</h2>" + bar_chart(fault_bars, title="times each fault kind fired")
    scenario_bars = [Bar(name, int(row.get("failed", 0)), f"{int(row.get('failed', 0))} of {int(row.get('runs', 0))}",
                         "bar bad" if row.get("failed") else "bar") for name, row in sorted(per_scenario.items())]
    charts += bar_chart(scenario_bars, title="failed runs per scenario")
    listed = []
    for violation in violations[:VIOLATIONS_LISTED_MAX]:
        listed.append(f"<tr><td>{html.escape(str(violation.get('scenario')))}</td><td>{int(violation.get('seed', 0))}</td>"
                      f"<td>{html.escape(str(violation.get('invariant')))}</td><td>{html.escape(str(violation.get('message')))}</td>"
                      f"<td>{_links(violation.get('repro'), timelines, page)}</td></tr>")
    more = (f"<p>... {len(violations) - VIOLATIONS_LISTED_MAX} more in the JSON summary</p>"
            if len(violations) > VIOLATIONS_LISTED_MAX else "")
    violations_html = ("<h2>Violations</h2><table class=\"violations\"><thead><tr><th>scenario</th><th>seed</th>"
                       "<th>invariant</th><th>message</th><th>see</th></tr></thead><tbody>" + "".join(listed)
                       + "</tbody></table>" + more) if violations else "<h2>Violations</h2><p class=\"good\">none</p>"
    return _page("omen-sim sweep summary", head + table + violations_html + charts)


def render_hunt_page(document: dict[str, Any], *, page: Path, timelines: dict[str, str]) -> str:
    if not is_hunt_document(document):
        raise SummaryDocumentError("not a hunt document: want {\"bugs\": [...]} (write one with `omen-sim hunt --json FILE`)")
    rows, second_bars, seed_bars = [], [], []
    caught_count = 0
    for bug in document["bugs"]:
        if not isinstance(bug, dict) or "name" not in bug or "caught" not in bug:
            raise SummaryDocumentError("not a hunt document: every bug needs at least name and caught")
        name = str(bug["name"])
        caught = bool(bug["caught"])
        caught_count += caught
        seconds = float(bug.get("median_wall_seconds", bug.get("wall_seconds", 0.0)))
        seeds = float(bug.get("median_seeds", bug.get("seeds_tried", 0)))
        where = (f"{html.escape(str(bug.get('invariant')))} in {html.escape(str(bug.get('scenario')))} "
                 f"seed {int(bug.get('seed') or 0)}") if caught else '<b class="bad">ESCAPED</b>'
        expected = str(bug.get("expected_invariant", ""))
        off_target = caught and expected and bug.get("invariant") != expected
        rows.append(f"<tr class=\"{'caught' if caught else 'escaped'}\"><th>{html.escape(name)}</th><td>{where}"
                    f"{' <small>(expected ' + html.escape(expected) + ')</small>' if off_target else ''}</td>"
                    f"<td>{int(bug.get('seeds_tried', 0))}</td><td>{int(bug.get('runs', 0))}</td>"
                    f"<td>{float(bug.get('wall_seconds', 0.0)):.3f}</td><td>{int(bug.get('trials', 1))}</td>"
                    f"<td>{seeds:g}</td><td>{seconds:.3f}</td>"
                    f"<td>{_links(bug.get('repro'), timelines, page) if caught else ''}</td></tr>")
        css = "bar" if caught else "bar bad"
        second_bars.append(Bar(name, seconds if caught else 0.0,
                               f"{seconds:.2f} s" if caught else f"escaped after {seconds:.1f} s", css))
        seed_bars.append(Bar(name, seeds if caught else 0.0, f"{seeds:g} seeds" if caught else "escaped", css))
    total = len(document["bugs"])
    head = f'<p class="verdict {"good" if caught_count == total else "bad"}">{caught_count} of {total} planted bugs caught</p>'
    table = ("<table class=\"hunt\"><thead><tr><th>planted bug</th><th>caught by</th><th>seeds tried</th><th>runs</th>"
             "<th>wall s</th><th>trials</th><th>median seeds</th><th>median s</th><th>see</th></tr></thead><tbody>"
             + "".join(rows) + "</tbody></table>")
    charts = ("<h2>Time to catch each planted bug</h2>"
              + bar_chart(second_bars, title="median wall seconds to catch", log_scale=True)
              + bar_chart(seed_bars, title="median seeds to catch", log_scale=True))
    return _page("omen-sim hunt summary", head + charts + table)
