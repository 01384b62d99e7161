// The workbench page: a form that starts runs, charts fed by server-sent events, a list of runs.
"use strict";

const $ = (id) => document.getElementById(id);
const COLORS = ["#e07b00", "#2f6fde", "#2a9d4b", "#b3261e", "#7b3fb5", "#00838f", "#8d6e63", "#c2185b"];
let current = null;      // {id, source: EventSource, x, y, data, epochs: []}
let charts = {};
let termCount = -1;

function chartWidth(id) { return Math.max(360, $(id).clientWidth || 420); }

function makeChart(id, series, opts) {
  if (charts[id]) charts[id].destroy();
  const options = Object.assign({
    width: chartWidth(id), height: 260, series: [{}].concat(series),
    scales: { x: { time: false } }, legend: { live: false },
    axes: [{}, { size: 60 }],
  }, opts || {});
  const data = [[]].concat(series.map(() => []));
  charts[id] = new uPlot(options, data, $(id));
  return charts[id];
}

function tick(v) {
  if (v === null) return "";
  const a = Math.abs(v);
  return a !== 0 && (a < 1e-2 || a >= 1e4) ? v.toExponential(0) : String(Number(v.toPrecision(3)));
}

const logScale = { scales: { x: { time: false }, y: { distr: 3, log: 10 } },
  axes: [{}, { size: 60, values: (u, vals) => vals.map(tick) }] };
const EPOCH_STEPS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000];
const perEpoch = Object.assign({}, logScale, { axes: [{ incrs: EPOCH_STEPS }, logScale.axes[1]] });

function positive(v) { return v === null || !(v > 0) ? null : v; }

function order(x) { return x.map((v, i) => i).sort((a, b) => x[a] - x[b]); }

function resetLive(problem) {
  const dataMode = problem.data;
  makeChart("chartCurve", [
    { label: dataMode ? "data" : "true", stroke: "#111", width: dataMode ? 0 : 4,
      points: { show: dataMode, size: 4 }, paths: dataMode ? () => null : undefined },
    { label: "net", stroke: COLORS[0], width: 2 },
  ]);
  makeChart("chartError", [
    { label: "training", stroke: "#888", width: 1 },
    { label: dataMode ? "validation" : "whole grid", stroke: "#c0392b", width: 2 },
  ], perEpoch);
  makeChart("chartAbs", [{ label: "|error|", stroke: COLORS[0], width: 1 }], logScale);
  termCount = -1;
}

function drawCurves(latest) {
  if (!current || !current.x || !latest || !latest.prediction) return;
  const idx = current.order;
  const xs = idx.map((i) => current.x[i]);
  const ys = idx.map((i) => current.y[i]);
  const ps = idx.map((i) => latest.prediction[i]);
  charts.chartCurve.setData([xs, ys, ps]);
  charts.chartAbs.setData([xs, ps.map((p, k) => (p === null || ys[k] === null) ? null : positive(Math.abs(p - ys[k])))]);
  if (latest.terms !== undefined) drawTerms(latest.terms, idx, xs);
}

function drawTerms(terms, idx, xs) {
  if (!terms) {
    $("termsCaption").textContent = "Each hidden neuron's term (one hidden layer only)";
    if (termCount !== 0) { makeChart("chartTerms", []); termCount = 0; }
    return;
  }
  let dead = 0;
  const rows = terms.map((t) => idx.map((i) => t[i]));
  rows.forEach((t) => { if (t.every((v) => v === null || Math.abs(v) < 1e-12)) dead += 1; });
  $("termsCaption").textContent = "Each hidden neuron's term: " + (terms.length - dead) + " active, " + dead + " dead";
  if (termCount !== terms.length) {
    makeChart("chartTerms", terms.map((t, j) => ({ label: "n" + j, stroke: COLORS[j % COLORS.length], width: 1 })),
      { legend: { show: false } });
    termCount = terms.length;
  }
  charts.chartTerms.setData([xs].concat(rows));
}

function drawErrors() {
  const e = current.epochs;
  charts.chartError.setData([e.map((r) => r.epoch), e.map((r) => positive(r.trainError)), e.map((r) => positive(r.judgeError))]);
}

function fmt(v) { return v === null || v === undefined ? "n/a" : Number(v).toPrecision(4); }

function setStatus(text) { $("status").textContent = text; }

function note(text, level) {
  const li = document.createElement("li");
  li.textContent = (level ? level + ": " : "") + text;
  $("notes").appendChild(li);
}

function showRunState(run, extra) {
  const last = current.epochs[current.epochs.length - 1];
  let text = "Run " + current.id + ": " + run;
  if (last) text += " \u2014 epoch " + last.epoch + " of " + current.totalEpochs + ", training error " + fmt(last.trainError) +
    ", " + (current.data ? "validation" : "whole-grid") + " error " + fmt(last.judgeError);
  if (extra) text += " \u2014 " + extra;
  setStatus(text);
  document.body.dataset.runState = run;
}

function handle(msg) {
  if (msg.type === "snapshot") {
    if (msg.problem) takeProblem(msg.problem);
    current.epochs = msg.epochs.slice();
    msg.notes.forEach((n) => note(n.text, n.level));
    if (current.x) { drawErrors(); drawCurves(msg.latest); }
    if (msg.result) finish(msg.result);
    else showRunState(msg.run.state, msg.position ? "waiting, number " + msg.position + " in the queue" : "");
  } else if (msg.type === "problem") {
    takeProblem(msg);
  } else if (msg.type === "epoch") {
    current.epochs.push(msg);
    current.totalEpochs = msg.epochs;
    if (current.x) { drawErrors(); if (msg.prediction) drawCurves(msg); }
    showRunState("running");
  } else if (msg.type === "note") {
    note(msg.text, msg.level);
  } else if (msg.type === "state") {
    if (msg.result) finish(msg.result, msg.state);
    else showRunState(msg.state, msg.position ? "waiting, number " + msg.position + " in the queue" : "");
  } else if (msg.type === "done" || msg.type === "error") {
    finish(msg, msg.state);
  }
}

function takeProblem(p) {
  current.x = p.x; current.y = p.y; current.data = p.data; current.order = order(p.x);
  resetLive(p);
}

function finish(result, state) {
  if (current.source) { current.source.close(); current.source = null; }
  $("stop").disabled = true;
  if (result.type === "done") {
    if (result.prediction && current.x) drawCurves({ prediction: result.prediction, terms: undefined });
    const m = result.metrics || {};
    showRunState(state || (result.interrupted ? "stopped" : "done"),
      "final " + (current.data ? "validation" : "whole-grid") + " error " + fmt(m.finalError));
  } else {
    showRunState(state || "error", result.text);
  }
  refreshRuns();
}

function watch(id) {
  if (current && current.source) current.source.close();
  current = { id: id, epochs: [], totalEpochs: Number($("epochs").value), x: null };
  document.body.dataset.runState = "connecting";
  $("notes").innerHTML = "";
  $("stop").disabled = false;
  const source = new EventSource("/api/runs/" + id + "/events");
  current.source = source;
  source.onmessage = (ev) => handle(JSON.parse(ev.data));
  source.onerror = () => { if (current && current.source === source) setStatus("Run " + id + ": connection lost; reloading the run list"); refreshRuns(); };
}

function showFormError(err) {
  const box = $("formError");
  box.hidden = false;
  box.textContent = err.error;
  if (err.field === "formula" && err.column !== null && err.column !== undefined) {
    const pre = document.createElement("pre");
    const f = $("formula").value;
    pre.textContent = f + "\n" + " ".repeat(Math.max(0, Math.min(err.column, f.length))) + "^";
    box.appendChild(pre);
  }
  if (err.field && $(err.field)) $(err.field).setAttribute("aria-invalid", "true");
}

function readSettings() {
  const num = (id) => Number($(id).value);
  const layers = $("layers").value.split(",").map((s) => s.trim()).filter((s) => s !== "").map(Number);
  const body = { layers: layers, activation: $("activation").value, optimizer: $("optimizer").value, lr: num("lr"),
    batch: num("batch"), epochs: num("epochs"), seed: num("seed"), normalize: $("normalize").value };
  return body;
}

async function start(ev) {
  ev.preventDefault();
  $("formError").hidden = true;
  document.querySelectorAll("[aria-invalid]").forEach((el) => el.removeAttribute("aria-invalid"));
  const body = readSettings();
  if ($("source").value === "csv") {
    const file = $("csv").files[0];
    if (!file) { showFormError({ error: "choose a CSV file first", field: "csv" }); return; }
    if (file.size > 2 * 1024 * 1024) { showFormError({ error: "the file has " + file.size + " bytes; at most 2097152", field: "csv" }); return; }
    body.csv = await file.text();
    body.val = Number($("val").value);
  } else {
    body.formula = $("formula").value;
    body.range = [Number($("lo").value), Number($("hi").value)];
    body.points = Number($("points").value);
  }
  const response = await fetch("/api/runs", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
  const answer = await response.json().catch(() => ({ error: "the server answered " + response.status }));
  if (!response.ok) { showFormError(answer); return; }
  watch(answer.id);
  refreshRuns();
}

async function stop() {
  if (!current) return;
  $("stop").disabled = true;
  await fetch("/api/runs/" + current.id + "/stop", { method: "POST" });
}

function describe(s) {
  if (s.source === "csv") return "CSV, validation " + s.val;
  return s.formula + " on [" + s.range[0] + ", " + s.range[1] + "]";
}

async function refreshRuns() {
  const response = await fetch("/api/runs");
  if (!response.ok) return;
  const list = (await response.json()).runs;
  const body = $("runs").querySelector("tbody");
  const ticked = new Set(Array.from(body.querySelectorAll("input:checked")).map((el) => el.value));
  body.innerHTML = "";
  list.slice().reverse().forEach((r) => {
    const tr = document.createElement("tr");
    tr.dataset.run = r.id;
    const ended = r.state === "done" || r.state === "stopped";
    const files = ended ? ["model.h5", "metrics.json", "restore.png"].map((f) =>
      '<a href="/api/runs/' + r.id + "/files/" + f + '" download>' + f + "</a>").join("") : "";
    tr.innerHTML = '<td><input type="checkbox" value="' + r.id + '"' + (ticked.has(r.id) ? " checked" : "") + (r.epochsDone ? "" : " disabled") + "></td>" +
      "<td><a href=\"#\" class=\"show\">" + r.id + "</a></td><td></td><td></td>" +
      '<td class="state-' + r.state + '">' + r.state + '</td><td class="num">' + r.epochsDone + "/" + r.settings.epochs +
      '</td><td class="num">' + fmt(r.finalError !== null && r.finalError !== undefined ? r.finalError : r.judgeError) + "</td><td>" + files + "</td>";
    tr.children[2].textContent = describe(r.settings);
    tr.children[3].textContent = r.settings.hidden.join("-") + " " + r.settings.activation + ", " + r.settings.optimizer + " " + r.settings.lr;
    tr.querySelector("a.show").onclick = (e) => { e.preventDefault(); watch(r.id); };
    body.appendChild(tr);
  });
  updateCompareButton();
}

function updateCompareButton() {
  $("compare").disabled = document.querySelectorAll("#runs tbody input:checked").length < 2;
}

async function compare() {
  const ids = Array.from(document.querySelectorAll("#runs tbody input:checked")).map((el) => el.value);
  const snaps = await Promise.all(ids.map((id) => fetch("/api/runs/" + id).then((r) => r.json())));
  $("compareBox").hidden = false;
  // curves: one x axis; runs over other grids are drawn over the first run's x by their own points
  const base = snaps.find((s) => s.problem);
  if (!base) return;
  const idx = order(base.problem.x);
  const xs = idx.map((i) => base.problem.x[i]);
  const series = [{ label: "true (" + base.run.id + ")", stroke: "#111", width: 4 }];
  const data = [xs, idx.map((i) => base.problem.y[i])];
  snaps.forEach((s, k) => {
    const pred = s.result && s.result.prediction ? s.result.prediction : (s.latest ? s.latest.prediction : null);
    series.push({ label: s.run.id, stroke: COLORS[k % COLORS.length], width: 2 });
    const same = s.problem && s.problem.x.length === base.problem.x.length;
    data.push(same && pred ? idx.map((i) => pred[i]) : xs.map(() => null));
  });
  makeChart("chartCompareCurve", series.slice(0));
  charts.chartCompareCurve.setData(data);
  const maxEpochs = Math.max.apply(null, snaps.map((s) => s.epochs.length));
  const epochs = Array.from({ length: maxEpochs }, (_, i) => i + 1);
  makeChart("chartCompareError", snaps.map((s, k) => ({ label: s.run.id, stroke: COLORS[k % COLORS.length], width: 2 })), perEpoch);
  charts.chartCompareError.setData([epochs].concat(snaps.map((s) => epochs.map((e) => s.epochs[e - 1] ? positive(s.epochs[e - 1].judgeError) : null))));
  document.body.dataset.compared = ids.join(",");
}

$("source").onchange = () => { const csv = $("source").value === "csv"; $("csvBox").hidden = !csv; $("formulaBox").hidden = csv; };
$("settings").addEventListener("submit", start);
$("stop").onclick = stop;
$("compare").onclick = compare;
$("runs").addEventListener("change", updateCompareButton);
resetLive({ data: false });
refreshRuns();
setInterval(refreshRuns, 3000);
