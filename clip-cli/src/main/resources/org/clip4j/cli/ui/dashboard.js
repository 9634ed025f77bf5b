// clip4j training dashboard: follows /events (server-sent events) and draws each run's metrics.jsonl with uPlot.
// Every chart container carries data-points = {"run name": number of points of its main series}, for tests.
"use strict";

const COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2"];
const runs = [];          // by id: {name, dir, colour, visible, generation, trainer, problems, s: step series, v: validation, z: zero-shot}
let smoothing = 0.9;
let renderPending = false;

function emptyRun(info) {
  return {
    id: info.id, name: info.name, dir: info.dir, colour: COLOURS[info.id % COLOURS.length], visible: true,
    generation: info.generation, trainer: null, problems: [], count: 0,
    s: {step: [], loss: [], lr: [], logit: [], sps: [], wait: [], heap: [], rss: [], scale: [], time: [], total: 0},
    v: {step: [], loss: [], i1: [], i5: [], i10: [], t1: [], t5: [], t10: []},
    z: {step: [], seen: [], held: []},
  };
}

function clearSeries(o) { for (const k in o) if (Array.isArray(o[k])) o[k].length = 0; }

// A resumed run appends steps it had already written before the kill: the later lines replace them.
function cutFrom(series, step) {
  let n = series.step.length;
  while (n > 0 && series.step[n - 1] >= step) n--;
  if (n < series.step.length) for (const k in series) if (Array.isArray(series[k])) series[k].length = n;
}

function num(x) { return typeof x === "number" && isFinite(x) ? x : null; }

function addRecord(run, r) {
  if ("loss" in r) {
    const s = run.s;
    cutFrom(s, r.step);
    s.step.push(r.step); s.loss.push(num(r.loss)); s.lr.push(num(r.lr)); s.logit.push(num(r.logit_scale));
    s.sps.push(num(r.samples_per_s)); s.wait.push(num(r.data_wait_s)); s.heap.push(num(r.heap_mib));
    s.rss.push(num(r.rss_mib)); s.scale.push(num(r.loss_scale)); s.time.push(num(r.time));
    if (r.total_steps) s.total = r.total_steps;
  } else if ("val_loss" in r || "image_to_text_R@1" in r) {
    const v = run.v, pct = (x) => (num(x) === null ? null : 100 * x);
    cutFrom(v, r.step);
    v.step.push(r.step); v.loss.push(num(r.val_loss));
    v.i1.push(pct(r["image_to_text_R@1"])); v.i5.push(pct(r["image_to_text_R@5"])); v.i10.push(pct(r["image_to_text_R@10"]));
    v.t1.push(pct(r["text_to_image_R@1"])); v.t5.push(pct(r["text_to_image_R@5"])); v.t10.push(pct(r["text_to_image_R@10"]));
  } else if ("zeroshot_top1" in r) {
    const z = run.z;
    cutFrom(z, r.step);
    z.step.push(r.step); z.seen.push(100 * r.zeroshot_top1);
    z.held.push(num(r.zeroshot_heldout_top1) === null ? null : 100 * r.zeroshot_heldout_top1);
  }
}

// Exponential moving average with the start-up bias removed (as TensorBoard smooths).
function ema(values, a) {
  const out = new Array(values.length);
  let m = 0, w = 0;
  for (let i = 0; i < values.length; i++) {
    const x = values[i];
    if (x === null) { out[i] = null; continue; }
    m = a * m + (1 - a) * x; w = a * w + (1 - a);
    out[i] = m / w;
  }
  return out;
}

// ---- panels: each gives, per visible run, tables [xs, ys...] and the matching series options ----

const solid = undefined, dashed = [6, 4], dotted = [2, 3];

const PANELS = {
  loss: {y: "loss", main: (r) => r.s.loss, parts: (r) => [
    {x: r.s.step, ys: [
      {data: r.s.loss, label: "loss", width: 1, alpha: "66"},
      {data: ema(r.s.loss, smoothing), label: "loss (EMA)", width: 2}]},
    {x: r.v.step, ys: [{data: r.v.loss, label: "val loss", width: 2, dash: dashed, points: true}]}]},
  lr: {y: "learning rate", main: (r) => r.s.lr, parts: (r) => [{x: r.s.step, ys: [{data: r.s.lr, label: "lr", width: 2}]}]},
  logit: {y: "1/T", main: (r) => r.s.logit, parts: (r) => [{x: r.s.step, ys: [{data: r.s.logit, label: "1/T", width: 2}]}]},
  recall: {y: "%", optional: true, main: (r) => r.v.i1, parts: (r) => [{x: r.v.step, ys: [
    {data: r.v.i1, label: "i→t R@1", width: 2.5, points: true}, {data: r.v.i5, label: "i→t R@5", width: 1.5, points: true},
    {data: r.v.i10, label: "i→t R@10", width: 1, points: true},
    {data: r.v.t1, label: "t→i R@1", width: 2.5, dash: dashed, points: true},
    {data: r.v.t5, label: "t→i R@5", width: 1.5, dash: dashed, points: true},
    {data: r.v.t10, label: "t→i R@10", width: 1, dash: dashed, points: true}]}]},
  zeroshot: {y: "%", optional: true, main: (r) => r.z.seen, parts: (r) => [{x: r.z.step, ys: [
    {data: r.z.seen, label: "top-1 trained", width: 2, points: true},
    {data: r.z.held, label: "top-1 held out", width: 2, dash: dashed, points: true}]}]},
  speed: {y: "samples/s", main: (r) => r.s.sps, parts: (r) => [{x: r.s.step, ys: [{data: r.s.sps, label: "samples/s", width: 1.5}]}]},
  wait: {y: "s", main: (r) => r.s.wait, parts: (r) => [{x: r.s.step, ys: [{data: r.s.wait, label: "data wait", width: 1.5}]}]},
  memory: {y: "MiB", main: (r) => r.s.heap, parts: (r) => [{x: r.s.step, ys: [
    {data: r.s.heap, label: "heap", width: 2}, {data: r.s.rss, label: "resident", width: 2, dash: dashed}]}]},
  scale: {y: "loss scale", optional: true, main: (r) => r.s.scale, parts: (r) => [{x: r.s.step, ys: [
    {data: r.s.scale, label: "loss scale", width: 2}]}]},
};
const charts = {};        // panel key → {plot, signature}

function countPoints(arr) { let n = 0; for (const x of arr) if (x !== null) n++; return n; }

function fmt(v) {
  if (v === null || v === undefined) return "–";
  const a = Math.abs(v);
  // 5e-4 rather than 5.000e-4; 0.0015 and 1.9037 as they are
  return a !== 0 && (a < 1e-3 || a >= 1e5) ? v.toExponential(3).replace(/\.?0+e/, "e") : +v.toPrecision(5) + "";
}

function renderPanel(key) {
  const p = PANELS[key], el = document.getElementById("panel-" + key);
  const counts = {};
  const tables = [], series = [{label: "step"}];
  let any = false;
  for (const r of runs) {
    if (!r) continue;
    const n = countPoints(p.main(r));
    counts[r.name] = n;
    if (n > 0) any = true;
    if (!r.visible) continue;
    for (const part of p.parts(r)) {
      if (part.x.length === 0) continue;
      tables.push([part.x, ...part.ys.map((y) => y.data)]);
      for (const y of part.ys) {
        series.push({label: r.name + " " + y.label, stroke: r.colour + (y.alpha || ""), width: y.width, dash: y.dash,
          spanGaps: true, points: {show: !!y.points, size: 5, fill: r.colour}, value: (u, v) => fmt(v)});
      }
    }
  }
  el.dataset.points = JSON.stringify(counts);
  el.dataset.total = Object.values(counts).reduce((a, b) => a + b, 0);
  if (p.optional) el.hidden = !any;
  if (el.hidden) return;
  const box = el.querySelector(".chart");
  const data = tables.length > 0 ? uPlot.join(tables) : [[]];
  const signature = series.map((s) => s.label).join("|");
  const c = charts[key];
  if (c && c.signature === signature) { c.plot.setData(data); return; }
  if (c) c.plot.destroy();
  const opts = {
    width: Math.max(300, box.clientWidth), height: 260, series,
    scales: {x: {time: false}}, legend: {live: true},
    axes: [{label: "step"}, {label: p.y, size: 70, values: (u, vals) => vals.map(fmt)}],
    cursor: {drag: {x: true, y: false}},
  };
  charts[key] = {plot: new uPlot(opts, data, box), signature};
}

// ---- run list, status, ETA ----

function eta(r) {
  const s = r.s, n = s.step.length;
  if (n === 0) return "waiting for the first step";
  const step = s.step[n - 1], total = s.total;
  let text = "step " + step + (total ? " / " + total : "");
  const last = s.loss[n - 1];
  text += " · loss " + fmt(last);
  if (total && step >= total) return text + " · finished";
  // seconds per step over the last 50 steps of wall clock (includes validation and checkpoints)
  const k = Math.max(0, n - 51);
  if (s.time[n - 1] !== null && s.time[k] !== null && n - 1 > k && total) {
    const per = (s.time[n - 1] - s.time[k]) / (s.step[n - 1] - s.step[k]);
    const left = per * (total - step);
    const age = Date.now() / 1000 - s.time[n - 1];
    text += " · ETA " + duration(left);
    if (age > Math.max(60, 20 * per)) text += " · no step for " + duration(age);
  }
  return text;
}

function duration(sec) {
  if (!isFinite(sec)) return "?";
  sec = Math.max(0, Math.round(sec));
  const h = Math.floor(sec / 3600), m = Math.floor(sec / 60) % 60, s = sec % 60;
  return h > 0 ? h + " h " + m + " min" : m > 0 ? m + " min " + s + " s" : s + " s";
}

function renderRuns() {
  const box = document.getElementById("runs");
  for (const r of runs) {
    if (!r) continue;
    let row = box.querySelector('[data-id="' + r.id + '"]');
    if (!row) {
      row = document.createElement("label");
      row.className = "run";
      row.dataset.id = r.id;
      row.dataset.run = r.name;
      row.title = r.dir;
      const cb = document.createElement("input");
      cb.type = "checkbox"; cb.checked = true;
      cb.addEventListener("change", () => { r.visible = cb.checked; scheduleRender(); });
      const sw = document.createElement("span"); sw.className = "swatch"; sw.style.background = r.colour;
      const name = document.createElement("span"); name.className = "name"; name.textContent = r.name;
      const st = document.createElement("span"); st.className = "status";
      row.append(cb, sw, name, st);
      box.append(row);
    }
    row.querySelector(".status").textContent = eta(r);
    row.dataset.step = r.s.step.length ? r.s.step[r.s.step.length - 1] : 0;
  }
  const problems = runs.filter((r) => r).flatMap((r) => r.problems);
  const pbox = document.getElementById("problems");
  pbox.hidden = problems.length === 0;
  pbox.textContent = problems.join("\n");
}

function renderConfig() {
  const box = document.getElementById("config-body");
  box.textContent = "";
  for (const r of runs) {
    if (!r || !r.visible) continue;
    const h = document.createElement("h3");
    h.textContent = r.name;
    h.style.color = r.colour;
    box.append(h);
    const t = r.trainer;
    if (!t) {
      const p = document.createElement("p");
      p.className = "note";
      p.textContent = r.dir + ": no checkpoint yet; the config and provenance appear with the first one.";
      box.append(p);
      continue;
    }
    const table = document.createElement("table");
    const row = (k, v, pre) => {
      const tr = document.createElement("tr"), th = document.createElement("th"), td = document.createElement("td");
      th.textContent = k;
      if (pre) { const e = document.createElement("pre"); e.textContent = v; td.append(e); } else td.textContent = v;
      tr.append(th, td); table.append(tr);
    };
    row("folder", r.dir);
    row("checkpoint", r.checkpoint + " (step " + t.step + ", " + t.samples_seen + " samples seen)");
    const prov = t.provenance || {};
    for (const k of Object.keys(prov).sort()) {
      if (k === "config") {
        let v = prov[k];
        try { v = JSON.stringify(JSON.parse(v), null, 1); } catch (e) { /* shown as written */ }
        row(k, v, true);
      } else row(k, prov[k]);
    }
    if (t.config) row("config", JSON.stringify(t.config, null, 1), true);
    box.append(table);
  }
}

function render() {
  renderPending = false;
  renderRuns();
  for (const key in PANELS) renderPanel(key);
  renderConfig();
}

function scheduleRender() {
  if (!renderPending) { renderPending = true; setTimeout(render, 150); }
}

// ---- the stream, and polling where the stream cannot get through ----

// What the server says about a run (on the stream's "run" events and in /api/state).
function applyRunInfo(info) {
  let r = runs[info.id];
  if (!r) r = runs[info.id] = emptyRun(info);
  if (r.generation !== info.generation) { // a fresh run in the same folder
    clearSeries(r.s); clearSeries(r.v); clearSeries(r.z); r.count = 0; r.generation = info.generation;
  }
  r.trainer = info.trainer; r.checkpoint = info.checkpoint; r.problems = info.problems;
  return r;
}

function setConn(text, state) {
  const conn = document.getElementById("conn");
  conn.textContent = text; conn.dataset.state = state;
}

// Polling: the whole state every two seconds, keeping only the records not seen yet. Used when the page is
// opened with ?transport=poll, or when the event stream fails three times without ever opening (a proxy that
// buffers or blocks server-sent events).
let pollTimer = null;
function poll() {
  fetch("api/state", {cache: "no-store"})
    .then((resp) => { if (!resp.ok) throw new Error("HTTP " + resp.status); return resp.json(); })
    .then((state) => {
      for (const info of state.runs) {
        const r = applyRunInfo(info);
        for (let i = r.count; i < info.records.length; i++) addRecord(r, info.records[i]);
        r.count = Math.max(r.count, info.records.length);
      }
      setConn("polling", "live");
      scheduleRender();
    })
    .catch(() => setConn("server unreachable, retrying…", "error"));
}
function startPolling() {
  if (pollTimer !== null) return;
  poll();
  pollTimer = setInterval(poll, 2000);
}

function connect() {
  const es = new EventSource("events");
  let opened = false, failures = 0;
  es.addEventListener("open", () => {
    opened = true;
    // the server sends everything again on a new stream
    for (const r of runs) if (r) { clearSeries(r.s); clearSeries(r.v); clearSeries(r.z); r.count = 0; r.generation = -1; }
    setConn("live", "live");
  });
  es.addEventListener("error", () => {
    if (!opened && ++failures >= 3) { es.close(); startPolling(); return; }
    setConn("reconnecting…", "error");
  });
  es.addEventListener("run", (e) => { applyRunInfo(JSON.parse(e.data)); scheduleRender(); });
  es.addEventListener("records", (e) => {
    const m = JSON.parse(e.data), r = runs[m.id];
    if (!r || m.from !== r.count) return; // out of step: the next stream resends everything
    for (const rec of m.records) addRecord(r, rec);
    r.count += m.records.length;
    scheduleRender();
  });
}

document.getElementById("smoothing").addEventListener("input", (e) => {
  smoothing = +e.target.value;
  document.getElementById("smoothing-value").textContent = smoothing.toFixed(2);
  scheduleRender();
});
window.addEventListener("resize", () => {
  for (const key in charts) {
    const box = document.getElementById("panel-" + key).querySelector(".chart");
    charts[key].plot.setSize({width: Math.max(300, box.clientWidth), height: 260});
  }
});
// A failure of this script shows on the page rather than only in the browser's console.
window.addEventListener("error", (e) => {
  const pbox = document.getElementById("problems");
  pbox.hidden = false;
  pbox.textContent = "dashboard error: " + e.message + " (" + e.filename + ":" + e.lineno + ")";
});
if (new URLSearchParams(location.search).get("transport") === "poll") startPolling();
else connect();
