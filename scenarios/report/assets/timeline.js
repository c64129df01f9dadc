// The timeline page's script: draws the model embedded in #model as SVG, redrawn per frame.
// WHY redraw instead of one element per event: 100,000 SVG nodes make zoom and pan crawl. Each
// frame draws only what is visible, and at most about one mark per few pixels of each lane: where
// more events than LANE_EVENTS_MAX are visible, they are clustered into pixel columns. Every loop
// below is bounded by the plot width or by a *_MAX constant, never by the trace length, except the
// one-off indexing at load and a search.
"use strict";
(function () {
  const LANE_EVENTS_MAX = 500;       // individual marks per lane per frame before clustering
  const CLUSTER_PX = 3;              // a cluster column is this many pixels wide
  const FAULTS_MAX = 400;            // individual fault markers per frame before clustering
  const HITS_MAX = 1500;             // search hits drawn per frame (one per pixel column beyond)
  const LIFE_STEPS_MAX = 400;        // steps of one signal's life drawn and listed
  const DETAIL_EVENTS_MAX = 25;      // events whose fields the detail panel shows at once
  const MATCHED_SIGNALS_MAX = 20;    // signal ids offered when a search matches several
  const LABEL_W = 96, RIGHT_PAD = 12, VROW_H = 18, LANE_H = 46, AXIS_H = 26;
  const ZOOM_WIDTH_MIN_S = 1e-4;     // the narrowest view, in display seconds
  const ANIMATION_MS = 260;

  const model = JSON.parse(document.getElementById("model").textContent);
  const n = model.t.length;
  const svg = document.getElementById("timeline");
  const tip = document.getElementById("tip");
  const kinds = model.kinds, nodes = model.nodes, lanes = model.lanes, fields = model.fields;

  // ---- the folded axis: sim seconds -> display seconds (piecewise linear, see time_axis.py)
  const breaks = model.breaks;
  function xOfTime(t) {
    if (t <= breaks[0][0]) return breaks[0][1] + (t - breaks[0][0]);
    let lo = 0, hi = breaks.length - 1;
    while (hi - lo > 1) { const mid = (lo + hi) >> 1; if (breaks[mid][0] <= t) lo = mid; else hi = mid; }
    const [t0, x0] = breaks[lo], [t1, x1] = breaks[hi];
    if (t >= t1) return x1 + (t - t1);
    return x0 + (t - t0) * (t1 > t0 ? (x1 - x0) / (t1 - t0) : 1);
  }
  function timeOfX(x) {
    if (x <= breaks[0][1]) return breaks[0][0] + (x - breaks[0][1]);
    let lo = 0, hi = breaks.length - 1;
    while (hi - lo > 1) { const mid = (lo + hi) >> 1; if (breaks[mid][1] <= x) lo = mid; else hi = mid; }
    const [t0, x0] = breaks[lo], [t1, x1] = breaks[hi];
    if (x >= x1) return t1 + (x - x1);
    return t0 + (x - x0) * (x1 > x0 ? (t1 - t0) / (x1 - x0) : 1);
  }

  // ---- one-off indexing at load
  const X = new Float64Array(n);
  for (let i = 0; i < n; i++) X[i] = xOfTime(model.t[i]);
  const category = kinds.map(categoryOf);
  const faultKind = kinds.indexOf("fault");
  const laneEvents = lanes.map(() => []);
  const faults = [];
  for (let i = 0; i < n; i++) {
    laneEvents[model.lane[i]].push(i);
    if (model.kind[i] === faultKind) faults.push(i);
  }
  const byX = (a, b) => X[a] - X[b] || a - b;
  const laneIdx = laneEvents.map((list) => Int32Array.from(list.sort(byX)));
  faults.sort(byX);
  const faultIdx = Int32Array.from(faults);
  const xMin = n ? X[laneIdx.reduce((m, l) => (l.length && X[l[0]] < X[m] ? l[0] : m), 0)] : 0;
  let xMax = 0;
  for (let i = 0; i < n; i++) if (X[i] > xMax) xMax = X[i];
  for (const b of model.bands) { b.x0 = xOfTime(b.t0); b.x1 = xOfTime(b.t1); }
  for (const s of model.spans) { s.x0 = xOfTime(s.t0); s.x1 = xOfTime(s.t1); }
  for (const m of model.marks) m.x = xOfTime(m.t);
  const fullWidth = Math.max(xMax - xMin, ZOOM_WIDTH_MIN_S * 10);
  const full = { x0: xMin - fullWidth * 0.01, x1: xMax + fullWidth * 0.01 };

  function categoryOf(kind) {
    if (kind === "fault") return "fault";
    const head = kind.split(".")[0];
    if (head === "emit" || head === "concurrent_posts") return "emit";
    if (head === "ingest") return "ingest";
    if (head === "net") return kind === "net.send" ? "send" : "net";
    if (head === "reconcile") return "reconcile";
    if (head === "node" || head === "crash" || head === "proc") return "node";
    if (head === "disk") return "disk";
    if (head === "ledger" || head === "seal") return "ledger";
    if (head === "task") return "error";
    return "other";
  }
  const ROW_OF = { emit: 0, send: 0, ingest: 1, reconcile: 1, ledger: 1, net: 2, node: 2, disk: 0, error: 2, other: 2, fault: 0 };

  // ---- state
  let view = { x0: full.x0, x1: full.x1 };
  let width = 800;
  let selectedViolation = -1;
  let cited = [];
  let hits = [];
  let life = [];
  let lifeSignal = null;
  let frameRequested = false;
  let animation = null;
  let searchTexts = null;
  let reqIndex = null;

  const plotW = () => Math.max(50, width - LABEL_W - RIGHT_PAD);
  const px = (x) => LABEL_W + ((x - view.x0) / (view.x1 - view.x0)) * plotW();
  const xAtPx = (p) => view.x0 + ((p - LABEL_W) / plotW()) * (view.x1 - view.x0);
  const laneTop = (lane) => VROW_H + lane * LANE_H;
  const evY = (i) => laneTop(model.lane[i]) + 7 + ROW_OF[category[model.kind[i]]] * 12;
  const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" }[c]));
  const fmtT = (t) => t.toFixed(6).replace(/\.?0+$/, "") + " s";

  function lowerBound(idx, x, from) {
    let lo = from || 0, hi = idx.length;
    while (lo < hi) { const mid = (lo + hi) >> 1; if (X[idx[mid]] < x) lo = mid + 1; else hi = mid; }
    return lo;
  }

  function request() {
    if (!frameRequested) { frameRequested = true; requestAnimationFrame(draw); }
  }

  // ---- drawing
  function draw() {
    frameRequested = false;
    const started = performance.now();
    width = svg.parentNode.clientWidth || 800;
    const height = VROW_H + lanes.length * LANE_H + AXIS_H;
    svg.setAttribute("width", width);
    svg.setAttribute("height", height);
    svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
    const out = [];
    const plotBottom = laneTop(lanes.length);
    out.push(`<rect class="vrow" x="${LABEL_W}" y="0" width="${plotW()}" height="${VROW_H - 2}"/>`);
    out.push(`<text class="lane-label" x="6" y="${VROW_H - 5}">violations</text>`);
    lanes.forEach((name, lane) => {
      out.push(`<g class="lane" data-lane="${esc(name)}"><rect class="lane-bg lane-${lane % 2}" x="${LABEL_W}" y="${laneTop(lane)}" width="${plotW()}" height="${LANE_H}"/>` +
        `<text class="lane-label" x="6" y="${laneTop(lane) + LANE_H / 2 + 4}">${esc(name)}</text></g>`);
    });
    out.push(`<svg x="${LABEL_W}" y="0" width="${plotW()}" height="${height}" overflow="hidden"><g transform="translate(${-LABEL_W},0)">`);
    drawGaps(out, plotBottom);
    drawBands(out);
    for (let lane = 0; lane < lanes.length; lane++) drawLane(out, lane);
    drawFaults(out);
    drawMarks(out, plotBottom);
    drawHits(out);
    drawLife(out);
    drawViolations(out, plotBottom);
    out.push(`</g></svg>`);
    drawAxis(out, plotBottom);
    svg.innerHTML = out.join("");
    svg.dataset.viewX0 = view.x0; svg.dataset.viewX1 = view.x1;
    svg.dataset.viewT0 = timeOfX(view.x0); svg.dataset.viewT1 = timeOfX(view.x1);
    svg.dataset.settled = animation ? "0" : "1";
    svg.dataset.drawMs = (performance.now() - started).toFixed(1); // what one frame cost, for the curious
    document.getElementById("view-label").textContent =
      `view ${fmtT(timeOfX(view.x0))} .. ${fmtT(timeOfX(view.x1))} (${n} events)`;
  }

  function visible(x0, x1) { return x1 >= view.x0 && x0 <= view.x1; }

  function drawGaps(out, bottom) {
    for (const [a, b, hidden] of model.gaps) {
      if (!visible(a, b)) continue;
      const p0 = px(a), p1 = Math.max(px(b), p0 + 1);
      out.push(`<rect class="gap" x="${p0}" y="${VROW_H}" width="${p1 - p0}" height="${bottom - VROW_H}"><title>${esc(Math.round(hidden))} s without events, folded</title></rect>`);
      if (p1 - p0 > 14) out.push(`<text class="gap-label" x="${(p0 + p1) / 2}" y="${bottom - 4}" text-anchor="middle">+${esc(Math.round(hidden))} s</text>`);
    }
  }

  function drawBands(out) {
    for (const b of model.bands) {
      if (!visible(b.x0, b.x1)) continue;
      const p0 = px(b.x0), p1 = Math.max(px(b.x1), p0 + 2), y = laneTop(b.lane);
      out.push(`<rect class="band crash" data-i="${b.i0}" x="${p0}" y="${y + 1}" width="${p1 - p0}" height="${LANE_H - 2}"><title>${esc(b.label)}</title></rect>`);
      if (p1 - p0 > 50) out.push(`<text class="band-label" x="${Math.max(p0, LABEL_W) + 3}" y="${y + LANE_H - 4}">${esc(b.label)}</text>`);
    }
    let spanLabelEnd = -1e9;
    for (const s of model.spans) {
      if (!visible(s.x0, s.x1)) continue;
      const p0 = px(s.x0), p1 = Math.max(px(s.x1), p0 + 2), y = laneTop(s.lane);
      out.push(`<rect class="span partition" data-i="${s.i0}" x="${p0}" y="${y + 1}" width="${p1 - p0}" height="${LANE_H - 2}"><title>${esc(s.label)}</title></rect>`);
      // mid-lane: fault labels take the top of the lane, clusters its bottom
      const labelX = Math.max(p0, LABEL_W) + 3;
      if (p1 - p0 > 50 && labelX > spanLabelEnd) {
        out.push(`<text class="band-label" x="${labelX}" y="${y + 27}">${esc(s.label)}</text>`);
        spanLabelEnd = labelX + s.label.length * 5.6;
      }
    }
  }

  function drawLane(out, lane) {
    const idx = laneIdx[lane];
    const lo = lowerBound(idx, view.x0), hi = lowerBound(idx, view.x1 + 1e-12, lo);
    if (hi - lo <= LANE_EVENTS_MAX) {
      for (let k = lo; k < hi; k++) {
        const i = idx[k], cat = category[model.kind[i]];
        if (cat === "fault") continue; // drawn by drawFaults on top
        out.push(`<rect class="ev c-${cat}" data-i="${i}" x="${px(X[i]) - 1}" y="${evY(i)}" width="3" height="9"/>`);
      }
      return;
    }
    const columns = Math.ceil(plotW() / CLUSTER_PX);
    const y = laneTop(lane);
    let start = lo;
    for (let c = 0; c < columns && start < hi; c++) {
      const end = c === columns - 1 ? hi : Math.min(hi, lowerBound(idx, xAtPx(LABEL_W + (c + 1) * CLUSTER_PX), start));
      const count = end - start;
      if (count > 0) {
        const h = Math.min(LANE_H - 6, 3 + 4 * Math.log2(1 + count));
        out.push(`<rect class="cluster" data-lane="${lane}" data-a="${start}" data-b="${end}" x="${LABEL_W + c * CLUSTER_PX}" y="${y + LANE_H - 3 - h}" width="${CLUSTER_PX - 0.5}" height="${h}"/>`);
      }
      start = end;
    }
  }

  function faultLabel(i) {
    const f = fields[i];
    const params = Object.keys(f).filter((k) => k !== "fault" && k !== "point" && k !== "occurrence")
      .map((k) => `${k}=${typeof f[k] === "number" ? +f[k].toFixed(3) : f[k]}`);
    return `${f.fault}${params.length ? " " + params.join(" ") : ""}`;
  }

  function drawFaults(out) {
    const lo = lowerBound(faultIdx, view.x0), hi = lowerBound(faultIdx, view.x1 + 1e-12, lo);
    if (hi - lo > FAULTS_MAX) {
      const columns = Math.ceil(plotW() / CLUSTER_PX);
      let start = lo;
      for (let c = 0; c < columns && start < hi; c++) {
        const end = c === columns - 1 ? hi : Math.min(hi, lowerBound(faultIdx, xAtPx(LABEL_W + (c + 1) * CLUSTER_PX), start));
        if (end > start) {
          const i = faultIdx[start];
          out.push(`<rect class="fault-cluster" data-fa="${start}" data-fb="${end}" x="${LABEL_W + c * CLUSTER_PX}" y="${laneTop(model.lane[i]) + 2}" width="${CLUSTER_PX - 0.5}" height="7"/>`);
        }
        start = end;
      }
      return;
    }
    let lastLabelPx = {};
    for (let k = lo; k < hi; k++) {
      const i = faultIdx[k], p = px(X[i]), y = laneTop(model.lane[i]) + 3;
      out.push(`<path class="fault" data-i="${i}" d="M${p} ${y}l5 5l-5 5l-5 -5z"/>`);
      const lane = model.lane[i];
      const label = faultLabel(i);
      if (lastLabelPx[lane] === undefined || p > lastLabelPx[lane]) {
        out.push(`<text class="fault-label" x="${p + 6}" y="${y + 8}">${esc(label)}</text>`);
        lastLabelPx[lane] = p + 12 + label.length * 5.6; // where this label ends (10px font)
      }
    }
  }

  function drawMarks(out, bottom) {
    let labelEnd = -1e9; // labels that would overlap the previous one are left out
    for (const m of model.marks) {
      if (!visible(m.x, m.x)) continue;
      const p = px(m.x);
      out.push(`<line class="mark" data-i="${m.i}" x1="${p}" x2="${p}" y1="${VROW_H}" y2="${bottom}"/>`);
      if (p > labelEnd) {
        out.push(`<text class="mark-label" x="${p + 3}" y="${VROW_H + 10}">${esc(m.label)}</text>`);
        labelEnd = p + 8 + m.label.length * 5.6;
      }
    }
  }

  function drawHits(out) {
    if (!hits.length) return;
    let lastPx = -1e9, drawn = 0;
    for (const i of hits) {
      if (X[i] < view.x0 || X[i] > view.x1) continue;
      const p = px(X[i]);
      if (p - lastPx < 1 && drawn > HITS_MAX / 2) continue; // one per pixel column when crowded
      if (drawn++ >= HITS_MAX) break;
      lastPx = p;
      out.push(`<circle class="hit" data-i="${i}" cx="${p + 0.5}" cy="${evY(i) + 4.5}" r="5"/>`);
    }
  }

  function drawLife(out) {
    if (life.length < 1) return;
    const points = life.map((i) => `${px(X[i]) + 0.5},${evY(i) + 4.5}`).join(" ");
    out.push(`<polyline class="life" points="${points}"/>`);
    for (const i of life) {
      if (X[i] < view.x0 || X[i] > view.x1) continue;
      out.push(`<circle class="life-step" data-i="${i}" cx="${px(X[i]) + 0.5}" cy="${evY(i) + 4.5}" r="4"/>`);
    }
  }

  function drawViolations(out, bottom) {
    model.violations.forEach((v, k) => {
      for (const i of v.trace_indices) {
        if (X[i] < view.x0 || X[i] > view.x1) continue;
        const p = px(X[i]);
        out.push(`<path class="vmark${k === selectedViolation ? " selected" : ""}" data-v="${k}" d="M${p - 6} 2h12l-6 ${VROW_H - 6}z"><title>${esc(v.invariant)}: ${esc(v.message)}</title></path>`);
      }
    });
    for (const i of cited) {
      if (X[i] < view.x0 || X[i] > view.x1) continue;
      const p = px(X[i]);
      out.push(`<line class="cited-line" x1="${p + 0.5}" x2="${p + 0.5}" y1="${VROW_H}" y2="${bottom}"/>` +
        `<rect class="cited" data-i="${i}" x="${p - 4}" y="${evY(i) - 3}" width="9" height="15"/>`);
    }
  }

  function niceStep(raw) {
    const p = Math.pow(10, Math.floor(Math.log10(raw)));
    for (const m of [1, 2, 5, 10]) if (m * p >= raw) return m * p;
    return 10 * p;
  }

  function drawAxis(out, bottom) {
    out.push(`<line class="axis" x1="${LABEL_W}" x2="${LABEL_W + plotW()}" y1="${bottom}" y2="${bottom}"/>`);
    out.push(`<text class="lane-label" x="6" y="${bottom + 17}">sim time</text>`);
    const step = niceStep(((view.x1 - view.x0) * 110) / plotW());
    const decimals = Math.max(0, -Math.floor(Math.log10(step)));
    // each unfolded stretch between folded gaps is linear: ticks at round sim times within it
    const pieces = [];
    for (let k = 0; k + 1 < breaks.length; k++) {
      const [t0, x0] = breaks[k], [t1, x1] = breaks[k + 1];
      const folded = model.gaps.some(([a, b]) => Math.abs(a - x0) < 1e-9 && Math.abs(b - x1) < 1e-9);
      if (!folded) pieces.push([t0, x0, t1, x1]);
    }
    if (!pieces.length) pieces.push([breaks[0][0], breaks[0][1], breaks[0][0] + 1, breaks[0][1] + 1]);
    let ticks = 0;
    for (const [t0, x0, t1, x1] of pieces) {
      const a = Math.max(x0, view.x0), b = Math.min(x1, view.x1);
      if (a > b) continue;
      const ta = t0 + (a - x0), tb = t0 + (b - x0);
      let inPiece = 0;
      for (let t = Math.ceil(ta / step) * step; t <= tb && ticks < 200; t += step, ticks++, inPiece++) {
        const p = px(x0 + (t - t0));
        out.push(`<line class="tick" x1="${p}" x2="${p}" y1="${bottom}" y2="${bottom + 5}"/>` +
          `<text class="tick-label" x="${p}" y="${bottom + 17}" text-anchor="middle">${t.toFixed(decimals)}</text>`);
      }
      // a stretch between folded gaps too short for a round tick still says when it is
      if (inPiece === 0 && px(b) - px(a) > 40 && ticks < 200) {
        ticks++;
        out.push(`<text class="tick-label" x="${px(a) + 2}" y="${bottom + 17}">${ta.toFixed(0)}</text>`);
      }
    }
  }

  // ---- view changes
  function clampView(x0, x1) {
    let w = Math.max(ZOOM_WIDTH_MIN_S, Math.min(x1 - x0, (full.x1 - full.x0) * 1.5));
    let c = (x0 + x1) / 2;
    c = Math.max(full.x0, Math.min(full.x1, c));
    return { x0: c - w / 2, x1: c + w / 2 };
  }
  function setView(x0, x1) { animation = null; view = clampView(x0, x1); request(); }
  function animateTo(x0, x1) {
    const target = clampView(x0, x1), from = { ...view }, started = performance.now();
    animation = { target };
    svg.dataset.settled = "0";
    const stepFrame = (now) => {
      if (!animation || animation.target !== target) return;
      const k = Math.min(1, (now - started) / ANIMATION_MS), e = k < 1 ? 1 - Math.pow(1 - k, 3) : 1;
      view = { x0: from.x0 + (target.x0 - from.x0) * e, x1: from.x1 + (target.x1 - from.x1) * e };
      if (k >= 1) animation = null;
      draw();
      if (animation) requestAnimationFrame(stepFrame);
    };
    requestAnimationFrame(stepFrame);
  }
  function zoomAround(x, factor) {
    const w = (view.x1 - view.x0) * factor;
    const k = (x - view.x0) / (view.x1 - view.x0);
    setView(x - k * w, x - k * w + w);
  }
  function zoomToEvents(indices) {
    if (!indices.length) return;
    let lo = Infinity, hi = -Infinity;
    for (const i of indices) { lo = Math.min(lo, X[i]); hi = Math.max(hi, X[i]); }
    const span = Math.max(hi - lo, 0.2);
    animateTo(lo - span * 0.3, hi + span * 0.3);
  }

  // ---- panels
  function showEvents(indices, title) {
    const panel = document.getElementById("detail");
    const shown = indices.slice(0, DETAIL_EVENTS_MAX);
    panel.innerHTML = (title ? `<p class="detail-title">${esc(title)}</p>` : "") + shown.map((i) =>
      `<div class="event" data-i="${i}"><div class="event-head">#${i} ${esc(fmtT(model.t[i]))} <b>${esc(nodes[model.node[i]])}</b> ${esc(kinds[model.kind[i]])}</div>` +
      `<pre>${esc(JSON.stringify(fields[i], null, 1))}</pre></div>`).join("") +
      (indices.length > shown.length ? `<p>... and ${indices.length - shown.length} more</p>` : "");
  }

  function selectViolation(k) {
    const v = model.violations[k];
    if (!v) return;
    selectedViolation = k;
    cited = v.trace_indices.slice();
    document.querySelectorAll("li.violation").forEach((li) => li.classList.toggle("selected", +li.dataset.v === k));
    const follow = v.signal_ids.length ? v.signal_ids[0] : v.partition; // its signal, else its partition
    if (follow) { document.getElementById("search").value = follow; runSearch(follow); }
    showEvents(cited, `[${v.invariant}] ${v.message}`);
    if (cited.length) zoomToEvents(cited); else request();
  }

  function searchText(i) {
    if (searchTexts === null) searchTexts = new Array(n);
    let s = searchTexts[i];
    if (s === undefined) s = searchTexts[i] = JSON.stringify(fields[i]).toLowerCase();
    return s;
  }

  function linkedByRequest(indices) {
    // net.* events of the same request (req) as a net.send that carries the signal
    if (reqIndex === null) {
      reqIndex = new Map();
      for (let i = 0; i < n; i++) {
        const f = fields[i];
        if (f.req !== undefined && kinds[model.kind[i]].startsWith("net.")) {
          const list = reqIndex.get(f.req);
          if (list) list.push(i); else reqIndex.set(f.req, [i]);
        }
      }
    }
    const out = new Set(indices);
    for (const i of indices) {
      if (kinds[model.kind[i]] === "net.send" && fields[i].req !== undefined) {
        for (const j of reqIndex.get(fields[i].req) || []) out.add(j);
      }
    }
    return Array.from(out).sort((a, b) => a - b);
  }

  function mentions(i, signal) {
    const f = fields[i];
    if (f.signal_id === signal) return true;
    for (const key of ["replayed", "failed", "extra", "missing"]) if (Array.isArray(f[key]) && f[key].includes(signal)) return true;
    return false;
  }

  function lifeOf(signal) {
    const own = [];
    for (let i = 0; i < n; i++) if (mentions(i, signal)) own.push(i);
    return linkedByRequest(own).slice(0, LIFE_STEPS_MAX);
  }

  function stepLabel(i) {
    const kind = kinds[model.kind[i]], f = fields[i], node = nodes[model.node[i]];
    switch (kind) {
      case "emit.start": return "emitted by omen: ledger write begins";
      case "net.send":
        if (node === "reconciler") return "reconcile replays it: push to riskcast";
        return f.durable === false ? "push to riskcast, ledger record NOT durable yet" : (f.durable ? "ledger record durable; push to riskcast" : "push to riskcast");
      case "net.deliver": return f.duplicate ? "a duplicate copy arrives at riskcast" : "request arrives at riskcast";
      case "ingest.result": return `ingest ${f.status}${f.ack_id ? " ack_id " + f.ack_id : ""}`;
      case "net.reply": return `riskcast replies ${f.status}`;
      case "net.response": return `${node} gets response ${f.status}`;
      case "net.timeout": return `${node}: request timed out`;
      case "net.refused": return `${node}: connection refused`;
      case "net.reset": return `${node}: connection reset`;
      case "net.partition": return "request hits a network partition";
      case "emit.result": return `emit ${f.status}: ledger ${f.partition} #${f.sequence}${f.ack_id ? ", ack_id " + f.ack_id : ""}`;
      case "reconcile.result":
        if ((f.replayed || []).includes(lifeSignal)) return `replayed by reconcile of ${f.partition}`;
        if ((f.failed || []).includes(lifeSignal)) return `reconcile replay of ${f.partition} FAILED`;
        if ((f.extra || []).includes(lifeSignal)) return `reconcile of ${f.partition}: in riskcast, not in the ledger`;
        return `reconcile of ${f.partition}: ${f.status}`;
      case "reconcile.state": return `reconcile state of ${f.partition} misses it`;
      case "concurrent_posts.response": return `concurrent POST: ${f.status} ack_id ${f.ack_id}`;
      default: return kind;
    }
  }

  function showLife(signal, matchedSignals) {
    lifeSignal = signal;
    life = signal ? lifeOf(signal) : [];
    const panel = document.getElementById("life-steps");
    const picker = document.getElementById("life-signals");
    picker.innerHTML = matchedSignals.length > 1 ? "matches: " + matchedSignals.slice(0, MATCHED_SIGNALS_MAX)
      .map((s) => `<button class="pick" data-signal="${esc(s)}">${esc(s)}</button>`).join(" ") +
      (matchedSignals.length > MATCHED_SIGNALS_MAX ? ` and ${matchedSignals.length - MATCHED_SIGNALS_MAX} more` : "") : "";
    document.getElementById("life-title").textContent = signal ? `Signal life: ${signal}` : "Signal life";
    panel.innerHTML = life.map((i) =>
      `<li class="step c-${category[model.kind[i]]}" data-i="${i}"><span class="step-t">${esc(fmtT(model.t[i]))}</span> <span class="step-lane">${esc(lanes[model.lane[i]])}</span> ${esc(stepLabel(i))}</li>`).join("");
  }

  function runSearch(raw) {
    const q = raw.trim();
    hits = [];
    const signals = new Set();
    if (q) {
      const seq = /^(\d+)$/.exec(q) || /^(\d{4}-\d{2}-\d{2}(?:-late)?)[#:](\d+)$/.exec(q);
      const partition = /^\d{4}-\d{2}-\d{2}(-late)?$/.test(q) ? q : null;
      const needle = q.toLowerCase();
      for (let i = 0; i < n; i++) {
        const f = fields[i];
        let hit;
        if (seq && seq.length === 2) hit = f.sequence === +seq[1];
        else if (seq) hit = f.sequence === +seq[2] && f.partition === seq[1];
        else if (partition) hit = f.partition === partition || (typeof f.path === "string" && f.path.includes("/" + partition + "/"));
        else hit = searchText(i).includes(needle);
        if (hit) { hits.push(i); if (typeof f.signal_id === "string") signals.add(f.signal_id); }
      }
    }
    const matched = Array.from(signals).sort();
    const exact = matched.find((s) => s.toLowerCase() === q.toLowerCase());
    showLife(exact || matched[0] || null, matched);
    document.getElementById("search-count").textContent = q ? `${hits.length} events, ${matched.length} signals` : "";
    request();
  }

  // ---- input
  let drag = null;
  svg.addEventListener("wheel", (e) => {
    e.preventDefault();
    const rect = svg.getBoundingClientRect();
    zoomAround(xAtPx(e.clientX - rect.left), Math.exp(e.deltaY * 0.0015));
  }, { passive: false });
  svg.addEventListener("pointerdown", (e) => {
    drag = { x: e.clientX, x0: view.x0, x1: view.x1, moved: false };
    svg.setPointerCapture(e.pointerId);
  });
  svg.addEventListener("pointermove", (e) => {
    if (drag) {
      const dx = e.clientX - drag.x;
      if (Math.abs(dx) > 3) drag.moved = true;
      if (drag.moved) {
        const shift = (dx / plotW()) * (drag.x1 - drag.x0);
        setView(drag.x0 - shift, drag.x1 - shift);
      }
      return;
    }
    const target = e.target.closest("[data-i],.cluster,[data-v]");
    if (!target) { tip.hidden = true; return; }
    tip.hidden = false;
    tip.style.left = e.pageX + 12 + "px"; tip.style.top = e.pageY + 12 + "px";
    if (target.dataset.i !== undefined) {
      const i = +target.dataset.i;
      tip.textContent = `#${i} ${fmtT(model.t[i])} ${nodes[model.node[i]]} ${kinds[model.kind[i]]} ${JSON.stringify(fields[i]).slice(0, 240)}`;
    } else if (target.dataset.v !== undefined) {
      const v = model.violations[+target.dataset.v];
      tip.textContent = `[${v.invariant}] ${v.message}`;
    } else {
      tip.textContent = `${target.dataset.b - target.dataset.a} events: click to zoom in`;
    }
  });
  svg.addEventListener("pointerleave", () => { tip.hidden = true; });
  svg.addEventListener("pointerup", (e) => {
    const wasDrag = drag && drag.moved;
    drag = null;
    if (wasDrag) return;
    // the pointer was captured by the svg, and the frame may have been redrawn since: hit-test anew
    const under = document.elementFromPoint(e.clientX, e.clientY);
    const target = under && under.closest("[data-i],[data-v],.cluster,.fault-cluster");
    if (!target) return;
    if (target.dataset.v !== undefined) { selectViolation(+target.dataset.v); return; }
    if (target.dataset.i !== undefined) { showEvents([+target.dataset.i]); return; }
    const idx = target.classList.contains("cluster") ? laneIdx[+target.dataset.lane] : faultIdx;
    const a = +(target.dataset.a ?? target.dataset.fa), b = +(target.dataset.b ?? target.dataset.fb);
    const list = Array.from(idx.subarray(a, b));
    showEvents(list, `${list.length} events`);
    zoomToEvents(list);
  });
  document.getElementById("fit").addEventListener("click", () => animateTo(full.x0, full.x1));
  document.getElementById("zoom-in").addEventListener("click", () => zoomAround((view.x0 + view.x1) / 2, 0.5));
  document.getElementById("zoom-out").addEventListener("click", () => zoomAround((view.x0 + view.x1) / 2, 2));
  let searchTimer = null;
  document.getElementById("search").addEventListener("input", (e) => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(() => runSearch(e.target.value), 150);
  });
  document.getElementById("violation-list").addEventListener("click", (e) => {
    const li = e.target.closest("li.violation");
    if (li) selectViolation(+li.dataset.v);
  });
  document.getElementById("life").addEventListener("click", (e) => {
    const pick = e.target.closest("button.pick");
    if (pick) { showLife(pick.dataset.signal, []); request(); return; }
    const step = e.target.closest("li.step");
    if (step) { const i = +step.dataset.i; showEvents([i]); zoomToEvents([i]); }
  });
  window.addEventListener("resize", request);

  // a hook for tests and the curious: the same numbers the page draws from
  window.omenTimeline = {
    eventX: (i) => X[i], view: () => ({ ...view }), full: () => ({ ...full }),
    selectViolation, search: (q) => { document.getElementById("search").value = q; runSearch(q); },
    life: () => life.slice(),
  };
  request();
})();
