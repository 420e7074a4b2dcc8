// p ui: the page. Everything arrives as server-sent events from /api/events (a snapshot,
// then each change); a job's log from /api/jobs/ID/log. No framework, no CDN: p serves
// this file itself.
"use strict";

const csrfToken = document.querySelector('meta[name="csrf-token"]').content;
const samplesKept = 120;
const logLimit = 2 * 1024 * 1024; // characters kept in the log view

const state = {
  workers: [],
  samples: {},
  jobs: new Map(),
  totalJobs: 0,
  expanded: new Set(),
};
let workersDirty = true;
let jobsDirty = true;
let renderQueued = false;

const $ = (id) => document.getElementById(id);

function escapeHTML(text) {
  return String(text).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}

function schedule() {
  if (renderQueued) return;
  renderQueued = true;
  requestAnimationFrame(() => {
    renderQueued = false;
    render();
  });
}

// MARK: Events

function connect() {
  const source = new EventSource("/api/events");
  source.addEventListener("snapshot", (event) => {
    const snapshot = JSON.parse(event.data);
    state.workers = snapshot.workers;
    state.samples = snapshot.samples;
    state.jobs = new Map(snapshot.jobs.map((job) => [job.id, job]));
    state.totalJobs = snapshot.total_jobs;
    workersDirty = jobsDirty = true;
    schedule();
    renderJobPageStatus();
  });
  source.addEventListener("job", (event) => {
    const job = JSON.parse(event.data);
    if (!state.jobs.has(job.id)) state.totalJobs += 1;
    state.jobs.set(job.id, job);
    jobsDirty = true;
    schedule();
    if (openJob && openJob.id === job.id) renderJobPageStatus();
  });
  source.addEventListener("removed", (event) => {
    const { id } = JSON.parse(event.data);
    if (state.jobs.delete(id)) state.totalJobs -= 1;
    jobsDirty = true;
    schedule();
  });
  source.addEventListener("workers", (event) => {
    state.workers = JSON.parse(event.data);
    workersDirty = jobsDirty = true;
    schedule();
  });
  source.addEventListener("samples", (event) => {
    const round = JSON.parse(event.data);
    for (const [name, sample] of Object.entries(round)) {
      const list = (state.samples[name] ||= []);
      list.push(sample);
      if (list.length > samplesKept) list.shift();
    }
    workersDirty = true;
    schedule();
  });
  source.onopen = () => setConnection("live", "live");
  // EventSource connects again by itself; the server then sends a new snapshot.
  source.onerror = () => setConnection("lost", "reconnecting…");
}

function setConnection(kind, text) {
  const element = $("connection");
  element.dataset.state = kind;
  element.textContent = text;
}

// MARK: Formatting

function duration(seconds) {
  if (seconds == null || !isFinite(seconds)) return "-";
  const total = Math.max(0, Math.floor(seconds));
  if (total < 60) return `${total}s`;
  if (total < 3600) return `${Math.floor(total / 60)}m${String(total % 60).padStart(2, "0")}s`;
  if (total < 86400) return `${Math.floor(total / 3600)}h${String(Math.floor((total % 3600) / 60)).padStart(2, "0")}m`;
  return `${Math.floor(total / 86400)}d${String(Math.floor((total % 86400) / 3600)).padStart(2, "0")}h`;
}

function bytes(count) {
  if (count == null) return "?";
  const units = ["B", "kB", "MB", "GB", "TB"];
  let value = count;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) { value /= 1000; unit += 1; }
  return `${value.toFixed(value < 10 && unit > 0 ? 1 : 0)} ${units[unit]}`;
}

function isActive(job) {
  return ["syncing", "queued", "running", "paused"].includes(job.status);
}

function statusCell(text, status) {
  return `<td class="status status-${escapeHTML(status)}">${escapeHTML(text)}</td>`;
}

// MARK: Workers

function renderWorkers() {
  const container = $("workers");
  $("worker-count").textContent = state.workers.length ? `(${state.workers.length})` : "";
  if (!state.workers.length) return;
  const running = {};
  for (const job of state.jobs.values()) {
    if (job.status === "running" || job.status === "paused") running[job.worker] = (running[job.worker] || 0) + 1;
  }
  container.innerHTML = state.workers.map((worker) => {
    const samples = state.samples[worker.name] || [];
    const last = samples[samples.length - 1];
    const labels = worker.labels.map((label) => `<span class="label">${escapeHTML(label)}</span>`).join(" ");
    let body;
    if (!last) {
      body = `<p class="facts">measuring…</p>`;
    } else if (last.error) {
      body = `<p class="error" data-reachable="false">unreachable: ${escapeHTML(last.error)}</p>`;
    } else {
      const used = last.memory_total && last.memory_available != null ? last.memory_total - last.memory_available : null;
      // p's jobs there: as measured, or as this page knows them if it saw more since.
      const jobs = Math.max(last.running, running[worker.name] || 0);
      const slots = worker.slots != null ? `${jobs} of ${worker.slots} slots used` : `${jobs} p jobs running`;
      const queued = last.queued ? `, ${last.queued} queued` : "";
      const gpus = (last.gpus || []).map((gpu) => `
        <li><span>GPU ${gpu.index}</span><span class="bar"><i style="width:${Math.min(100, gpu.utilization)}%"></i></span>
        <span>${gpu.utilization}% · ${(gpu.memory_used_mib / 1024).toFixed(1)}/${(gpu.memory_total_mib / 1024).toFixed(1)} GiB</span></li>`).join("");
      const gpuLine = last.gpu_count ? `<p class="facts">${last.gpus_free} of ${last.gpu_count} GPUs free</p>` : "";
      body = `
        <p class="facts" data-reachable="true">${last.cpus} CPUs · ${slots}${queued}</p>
        <div class="plot"><span>load ${last.load_per_cpu != null ? last.load_per_cpu.toFixed(2) : "?"}/CPU</span><canvas data-plot="load"></canvas></div>
        <div class="plot"><span>mem ${used != null ? bytes(used) + " of " + bytes(last.memory_total) : bytes(last.memory_available) + " free"}</span><canvas data-plot="memory"></canvas></div>
        ${gpuLine}<ul class="gpus">${gpus}</ul>`;
    }
    return `<article class="worker" data-worker="${escapeHTML(worker.name)}" data-samples="${samples.length}">
      <h3>${escapeHTML(worker.name)} <span class="kind">${escapeHTML(worker.kind)}</span>${worker.default ? ' <span class="label">default</span>' : ""} ${labels}</h3>
      <p class="facts mono">${escapeHTML(worker.connection)}</p>${body}</article>`;
  }).join("");
  for (const article of container.querySelectorAll("article")) {
    const samples = state.samples[article.dataset.worker] || [];
    for (const canvas of article.querySelectorAll("canvas")) {
      const points = samples.filter((sample) => !sample.error).map((sample) =>
        canvas.dataset.plot === "load"
          ? sample.load_per_cpu ?? 0
          : sample.memory_total ? (sample.memory_total - sample.memory_available) / sample.memory_total : 0);
      plot(canvas, points, canvas.dataset.plot === "load" ? Math.max(1, ...points) : 1);
    }
  }
}

// A line of the last samples, scaled to `top`, newest at the right.
function plot(canvas, points, top) {
  const ratio = window.devicePixelRatio || 1;
  const width = canvas.clientWidth || 160;
  const height = canvas.clientHeight || 34;
  canvas.width = width * ratio;
  canvas.height = height * ratio;
  const context = canvas.getContext("2d");
  context.scale(ratio, ratio);
  context.strokeStyle = getComputedStyle(document.documentElement).getPropertyValue("--line");
  context.strokeRect(0.5, 0.5, width - 1, height - 1);
  if (points.length < 1) return;
  // The samples so far across the width, but no wider a step than a 24th of it.
  const step = width / (Math.max(points.length, 24) - 1);
  // A single sample is drawn as a short level line.
  const values = points.length === 1 ? [points[0], points[0]] : points;
  const x = (index) => width - 1 - (values.length - 1 - index) * step;
  const y = (value) => height - 2 - (Math.min(value, top) / top) * (height - 4);
  const accent = getComputedStyle(document.documentElement).getPropertyValue("--accent");
  context.beginPath();
  values.forEach((value, index) => (index ? context.lineTo(x(index), y(value)) : context.moveTo(x(index), y(value))));
  context.strokeStyle = accent;
  context.lineWidth = 1.5;
  context.stroke();
  context.lineTo(x(values.length - 1), height - 1);
  context.lineTo(x(0), height - 1);
  context.closePath();
  context.globalAlpha = 0.15;
  context.fillStyle = accent;
  context.fill();
  context.globalAlpha = 1;
}

// MARK: Jobs

function filterOptions() {
  const workerSelect = $("filter-worker");
  const labelSelect = $("filter-label");
  const workers = [...new Set([...state.workers.map((worker) => worker.name), ...[...state.jobs.values()].map((job) => job.worker)])].sort();
  const labels = [...new Set(state.workers.flatMap((worker) => worker.labels))].sort();
  for (const [select, values] of [[workerSelect, workers], [labelSelect, labels]]) {
    const chosen = select.value;
    const options = ['<option value="">any</option>', ...values.map((value) => `<option>${escapeHTML(value)}</option>`)].join("");
    if (select.dataset.options !== options) {
      select.innerHTML = options;
      select.dataset.options = options;
      select.value = values.includes(chosen) ? chosen : "";
    }
  }
}

function matches(job) {
  const status = $("filter-status").value;
  const worker = $("filter-worker").value;
  const label = $("filter-label").value;
  const text = $("filter-text").value.trim().toLowerCase();
  if (status === "active" ? !isActive(job) : status && job.status !== status) return false;
  if (worker && job.worker !== worker) return false;
  if (label) {
    const registered = state.workers.find((candidate) => candidate.name === job.worker);
    if (!registered || !registered.labels.includes(label)) return false;
  }
  if (text && !job.id.startsWith(text) && !job.command.toLowerCase().includes(text) && !(job.array_id || "").startsWith(text)) return false;
  return true;
}

function renderJobs() {
  filterOptions();
  const now = Date.now() / 1000;
  // An element run again is shown as the job that replaced it.
  const jobs = [...state.jobs.values()].filter((job) => !(job.array_id && job.superseded_by) && matches(job));
  jobs.sort((a, b) => b.submitted - a.submitted || (a.array_index ?? 0) - (b.array_index ?? 0));
  const rows = [];
  const arrays = new Map();
  for (const job of jobs) {
    if (job.array_id) {
      if (!arrays.has(job.array_id)) { arrays.set(job.array_id, []); rows.push({ array: job.array_id }); }
      arrays.get(job.array_id).push(job);
    } else {
      rows.push({ job });
    }
  }
  const html = [];
  for (const row of rows) {
    if (row.job) { html.push(jobRow(row.job, now, "")); continue; }
    const elements = arrays.get(row.array).sort((a, b) => a.array_index - b.array_index);
    const counts = {};
    for (const element of elements) counts[element.status] = (counts[element.status] || 0) + 1;
    const order = ["syncing", "queued", "running", "paused", "done", "failed", "stopped", "unknown"];
    const summary = order.filter((name) => counts[name]).map((name) => `${counts[name]} ${name}`).join(", ");
    const workers = new Set(elements.map((element) => element.worker));
    const starts = elements.map((element) => element.started).filter((value) => value != null);
    const active = elements.some(isActive);
    const ends = elements.map((element) => element.ended).filter((value) => value != null);
    const open = state.expanded.has(row.array);
    const worst = order.slice().reverse().find((name) => counts[name] && ["failed", "unknown", "stopped"].includes(name)) || (active ? "running" : "done");
    html.push(`<tr class="array" data-array="${escapeHTML(row.array)}">
      <td class="id"><button type="button" data-toggle="${escapeHTML(row.array)}" aria-expanded="${open}">${open ? "▾" : "▸"}</button>${escapeHTML(row.array.slice(0, 8))}[${elements.length}]</td>
      <td>${workers.size === 1 ? escapeHTML(elements[0].worker) : `${workers.size} workers`}</td>
      <td class="cwd">${escapeHTML(elements[0].cwd)}</td>
      <td class="command">${escapeHTML(elements[0].array_command || elements[0].command)}</td>
      ${statusCell(summary, worst)}${durationCell(starts.length ? Math.min(...starts) : null, active ? null : Math.max(...ends, ...starts), now)}</tr>`);
    if (open) for (const element of elements) html.push(jobRow(element, now, "element"));
  }
  const tbody = document.querySelector("#jobs tbody");
  tbody.innerHTML = html.join("");
  $("no-jobs").hidden = rows.length > 0;
  const shown = state.jobs.size;
  $("job-count").textContent = `(${state.totalJobs})`;
  $("more").hidden = shown >= state.totalJobs;
  $("show-all").textContent = `Show all ${state.totalJobs} jobs (${state.totalJobs - shown} older not loaded)`;
}

// A duration cell; one still counting (no end) carries its start, and the clock moves it on
// without re-rendering the table (which would replace the rows under the pointer).
function durationCell(start, end, now) {
  if (start == null) return `<td class="duration">-</td>`;
  if (end == null) return `<td class="duration" data-since="${start}">${duration(now - start)}</td>`;
  return `<td class="duration">${duration(end - start)}</td>`;
}

function jobRow(job, now, kind) {
  const name = job.array_id ? `${job.array_id.slice(0, 8)}:${job.array_index}` : job.id.slice(0, 8);
  const status = job.display + (job.attempt ? ` (attempt ${job.attempt})` : "");
  return `<tr class="${kind}" data-job="${escapeHTML(job.id)}" data-status="${escapeHTML(job.status)}">
    <td class="id"><a href="#/job/${escapeHTML(job.id)}">${escapeHTML(name)}</a></td>
    <td>${escapeHTML(job.worker)}</td><td class="cwd">${escapeHTML(job.cwd)}</td>
    <td class="command">${escapeHTML(job.command)}</td>${statusCell(status, job.status)}
    ${durationCell(job.started, isActive(job) ? null : job.ended ?? now, now)}</tr>`;
}

// MARK: A job's page

let openJob = null; // { id, source, nextOffset, ended }

function showJob(id) {
  closeJob();
  $("home").hidden = true;
  $("job").hidden = false;
  $("log").textContent = "";
  $("action-result").textContent = "";
  $("job-details").innerHTML = "";
  $("job-title").textContent = `Job ${id.slice(0, 8)}`;
  openJob = { id, source: null, nextOffset: null, ended: false, record: null };
  fetch(`/api/jobs/${encodeURIComponent(id)}`).then((response) => response.json()).then((record) => {
    if (!openJob || openJob.id !== id) return;
    if (record.error) { $("job-details").innerHTML = `<dt>error</dt><dd>${escapeHTML(record.error)}</dd>`; return; }
    openJob.record = record;
    renderJobPageStatus();
  });
  followLog(id, null);
}

function closeJob() {
  if (openJob && openJob.source) openJob.source.close();
  openJob = null;
}

function followLog(id, since) {
  const url = `/api/jobs/${encodeURIComponent(id)}/log` + (since != null ? `?since=${since}` : "");
  const source = new EventSource(url);
  openJob.source = source;
  $("log-state").textContent = "(following)";
  const log = $("log");
  const append = (text, className) => {
    const atBottom = log.scrollTop + log.clientHeight >= log.scrollHeight - 4;
    if (className) {
      const span = document.createElement("span");
      span.className = className;
      span.textContent = text;
      log.appendChild(span);
    } else {
      log.appendChild(document.createTextNode(text));
    }
    if (log.textContent.length > logLimit) {
      log.textContent = "[earlier output dropped from this view]\n" + log.textContent.slice(-logLimit / 2);
    }
    if (atBottom) log.scrollTop = log.scrollHeight;
  };
  source.addEventListener("skipped", (event) => {
    const { to } = JSON.parse(event.data);
    append(`[the first ${bytes(to)} of the log are not shown: p logs shows them all]\n`, "note");
    openJob.nextOffset = to;
  });
  source.addEventListener("output", (event) => {
    const chunk = JSON.parse(event.data);
    if (chunk.stderr) { append(chunk.text, "stderr"); return; }
    append(chunk.text, "");
    openJob.nextOffset = chunk.offset + new TextEncoder().encode(chunk.text).length;
  });
  source.addEventListener("gap", (event) => {
    const gap = JSON.parse(event.data);
    append(`\n[${bytes(gap.to - gap.from)} dropped by the log's cap]\n`, "note");
    if (!gap.stderr) openJob.nextOffset = gap.to;
  });
  source.addEventListener("end", (event) => {
    const job = JSON.parse(event.data);
    source.close();
    if (!openJob || openJob.source !== source) return;
    openJob.ended = true;
    $("log-state").textContent = `(ended: ${job.display})`;
    state.jobs.set(job.id, job);
    renderJobPageStatus();
  });
  source.addEventListener("failure", (event) => {
    append(`\n[${JSON.parse(event.data).error}]\n`, "note");
  });
  source.onerror = () => {
    // The server ended the stream or the connection dropped: go on from the last byte seen.
    source.close();
    if (!openJob || openJob.source !== source || openJob.ended) return;
    $("log-state").textContent = "(reconnecting…)";
    setTimeout(() => {
      if (openJob && openJob.source === source && !openJob.ended) followLog(id, openJob.nextOffset ?? 0);
    }, 1000);
  };
}

function renderJobPageStatus() {
  if (!openJob) return;
  const listed = state.jobs.get(openJob.id);
  const record = openJob.record;
  if (!listed && !record) return;
  const status = listed ? listed.status : record.status;
  const display = listed ? listed.display : record.status;
  $("stop").disabled = !["queued", "running", "paused"].includes(status);
  $("pause").disabled = status !== "running";
  $("resume").disabled = status !== "paused";
  const when = (value) => (value == null ? "-" : new Date(typeof value === "number" ? value * 1000 : value).toLocaleString());
  const rows = [
    ["status", `<span class="status status-${escapeHTML(status)}" id="job-status" data-status="${escapeHTML(status)}">${escapeHTML(display)}</span>`],
  ];
  if (record) {
    rows.push(
      ["command", `<code>${escapeHTML(record.command)}</code>`],
      ["worker", escapeHTML(record.worker)],
      ["directory", `<code>${escapeHTML(record.cwd)}</code>`],
      ["id", `<code>${escapeHTML(record.id)}</code>`],
      ["submitted", escapeHTML(when(record.submitted_at))],
      ["started", escapeHTML(when(listed ? listed.started : record.started_at))],
      ["ended", escapeHTML(when(listed ? listed.ended : record.ended_at))],
    );
    const exitCode = listed ? listed.exit_code : record.exit_code;
    if (exitCode != null) rows.push(["exit code", String(exitCode)]);
    const reason = listed ? listed.reason : record.reason;
    if (reason) rows.push(["reason", escapeHTML(reason)]);
    if (record.array_id) rows.push(["array", `${escapeHTML(record.array_id.slice(0, 8))} element ${record.array_index}`]);
    if (record.max_log) rows.push(["log cap", bytes(record.max_log)]);
    if (record.placement) rows.push(["placement", escapeHTML(record.placement)]);
  }
  $("job-details").innerHTML = rows.map(([term, value]) => `<dt>${term}</dt><dd>${value}</dd>`).join("");
}

async function act(action) {
  if (!openJob) return;
  const result = $("action-result");
  result.className = "";
  result.textContent = `${action === "stop" ? "stopping" : action === "pause" ? "pausing" : "resuming"}…`;
  try {
    const response = await fetch(`/api/jobs/${encodeURIComponent(openJob.id)}/${action}`, {
      method: "POST",
      headers: { "X-CSRF-Token": csrfToken },
    });
    const answer = await response.json();
    if (!response.ok) {
      result.className = "error";
      result.textContent = answer.error || `${response.status}`;
      return;
    }
    result.textContent = `${action}: ${answer.display}`;
    state.jobs.set(answer.id, answer);
    renderJobPageStatus();
  } catch (error) {
    result.className = "error";
    result.textContent = String(error);
  }
}

// MARK: Navigation and rendering

function route() {
  const match = location.hash.match(/^#\/job\/([0-9a-f-]+)$/i);
  if (match) {
    if (!openJob || openJob.id !== match[1]) showJob(match[1]);
  } else {
    closeJob();
    $("job").hidden = true;
    $("home").hidden = false;
    jobsDirty = workersDirty = true;
    schedule();
  }
}

function render() {
  if ($("home").hidden) return;
  if (workersDirty) { workersDirty = false; renderWorkers(); }
  if (jobsDirty) { jobsDirty = false; renderJobs(); }
}

document.addEventListener("DOMContentLoaded", () => {
  for (const id of ["filter-status", "filter-worker", "filter-label", "filter-text"]) {
    $(id).addEventListener("input", () => { jobsDirty = true; schedule(); });
  }
  document.querySelector("#jobs tbody").addEventListener("click", (event) => {
    const toggle = event.target.closest("button[data-toggle]");
    if (!toggle) return;
    const array = toggle.dataset.toggle;
    if (state.expanded.has(array)) state.expanded.delete(array); else state.expanded.add(array);
    jobsDirty = true;
    schedule();
  });
  $("show-all").addEventListener("click", async () => {
    const jobs = await (await fetch("/api/jobs")).json();
    for (const job of jobs) state.jobs.set(job.id, job);
    state.totalJobs = state.jobs.size;
    jobsDirty = true;
    schedule();
  });
  for (const action of ["stop", "pause", "resume"]) $(action).addEventListener("click", () => act(action));
  window.addEventListener("hashchange", route);
  // Durations of running jobs move on.
  setInterval(() => {
    const now = Date.now() / 1000;
    for (const cell of document.querySelectorAll("td.duration[data-since]")) {
      cell.textContent = duration(now - Number(cell.dataset.since));
    }
  }, 1000);
  connect();
  route();
});
