// jaild's status page: reads the API (viewer role) and follows /v1/events.
// Every value from the API is put in the page as text, never as markup.
"use strict";

const state = { token: null, refreshTimer: null, usage: {}, states: {}, changedBy: {} };

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return e;
}

function headers() {
  return state.token ? { Authorization: "Bearer " + state.token } : {};
}

class Refused extends Error {}

async function api(path) {
  const r = await fetch(path, { headers: headers(), cache: "no-store" });
  if (r.status === 401 || r.status === 403) {
    const body = await r.json().catch(() => ({}));
    throw new Refused(body.detail || r.statusText);
  }
  if (!r.ok) throw new Error(path + ": " + r.status);
  return r.json();
}

function bytes(n) {
  if (n === undefined || n === null) return "";
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return (i ? n.toFixed(1) : n) + " " + units[i];
}

function badge(text) { return el("span", { class: "badge state-" + text }, text); }

function time(ms) { return ms ? new Date(ms).toLocaleTimeString() : ""; }

// A row keeps what refreshed the page when its state last changed ("load",
// "event", "timer") in data-changed-by, for whoever checks that the page
// follows the events (the browser test).
function renderJails(jails, why) {
  const body = document.querySelector("#jails tbody");
  const rows = jails.map((j) => {
    const s = j.status, spec = j.spec, u = state.usage[spec.name] || {};
    const addresses = (s.addresses && s.addresses.length ? s.addresses
                       : [...(spec.ip4 || []), ...(spec.ip6 || [])]).join(", ");
    const tr = el("tr", { "data-jail": spec.name },
      el("td", { class: "name" }, spec.name),
      el("td", { class: "state" }, badge(s.state)),
      el("td", { class: "health" }, s.health === "none" ? "" : s.health),
      el("td", {}, addresses),
      el("td", {}, (spec.limits || []).join(", ")),
      el("td", { class: "num" }, bytes(u.memoryuse)),
      el("td", { class: "num" }, u.pcpu === undefined ? "" : u.pcpu.toFixed(1) + " %"),
      el("td", { class: "num" }, u.maxproc === undefined ? "" : u.maxproc));
    if (s.last_error) tr.title = s.last_error;
    if (state.states[spec.name] !== s.state) state.changedBy[spec.name] = why;
    state.states[spec.name] = s.state;
    tr.dataset.changedBy = state.changedBy[spec.name];
    return tr;
  });
  body.replaceChildren(...rows);
}

function renderPlan(plan) {
  const waves = plan.waves && plan.waves.length ? plan.waves : plan.all_waves || [];
  const list = document.getElementById("waves");
  list.replaceChildren(...waves.map((w) => el("li", {}, w.join(", "))));
  if (!(plan.waves && plan.waves.length) && waves.length)
    list.append(el("p", {}, "No jail has boot set: every jail, in the order jaild would start them."));
}

function renderOperations(ops) {
  const list = document.getElementById("operations");
  list.replaceChildren(...ops.map((o) => {
    const summary = el("summary", {}, time(o.created_at) + " ", el("strong", {}, o.kind), " ",
                       o.jail || "", " ", badge(o.state),
                       o.duration_ms !== undefined ? " " + o.duration_ms + " ms" : "",
                       o.error ? " " + o.error : "");
    const steps = el("ol", { class: "steps" }, ...(o.steps || []).map((s) =>
      el("li", {}, s.step + " " + (s.argv || []).join(" ") + " -> " + s.status +
                   (s.error ? " (" + s.error + ")" : ""))));
    return el("li", { "data-operation": o.id }, el("details", {}, summary, steps));
  }));
}

// `why`: "load", "event" or "timer".
async function refresh(why) {
  const [jails, plan, ops] = await Promise.all([
    api("/v1/jails"), api("/v1/boot-plan"), api("/v1/operations?limit=10")]);
  const running = jails.jails.filter((j) => j.status.state === "running");
  const usage = {};
  await Promise.all(running.map(async (j) => {
    try { usage[j.spec.name] = (await api("/v1/jails/" + encodeURIComponent(j.spec.name) + "/stats")).usage || {}; }
    catch (e) { if (e instanceof Refused) throw e; }
  }));
  state.usage = usage;
  renderJails(jails.jails, why);
  renderPlan(plan);
  renderOperations(ops.operations);
}

function soon() {
  clearTimeout(state.refreshTimer);
  state.refreshTimer = setTimeout(() => refresh("event").catch(failed), 150);
}

function live(ok) {
  const b = document.getElementById("live");
  b.textContent = ok ? "live" : "reconnecting";
  b.className = "badge " + (ok ? "live" : "dead");
}

// /v1/events as a stream read with fetch, so that the token goes in a header
// (EventSource cannot send one). Any event refreshes the page.
async function follow() {
  for (;;) {
    try {
      const r = await fetch("/v1/events", { headers: headers(), cache: "no-store" });
      if (!r.ok || !r.body) throw new Error("events: " + r.status);
      live(true);
      const reader = r.body.getReader();
      const text = new TextDecoder();
      let pending = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        pending += text.decode(value, { stream: true });
        let end;
        while ((end = pending.indexOf("\n\n")) >= 0) {
          const block = pending.slice(0, end);
          pending = pending.slice(end + 2);
          if (/^data:/m.test(block)) soon();
        }
      }
    } catch (e) { /* the stream ended or failed: try again */ }
    live(false);
    await new Promise((done) => setTimeout(done, 2000));
  }
}

function failed(e) {
  if (e instanceof Refused) {
    document.getElementById("main").hidden = true;
    document.getElementById("login").hidden = false;
    document.getElementById("login-error").textContent = e.message;
  } else {
    live(false);
  }
}

async function begin() {
  try {
    await refresh("load");
  } catch (e) {
    return failed(e);
  }
  document.getElementById("login").hidden = true;
  document.getElementById("main").hidden = false;
  const info = await api("/v1/info").catch(() => null);
  if (info) document.getElementById("host").textContent =
    info.name + " " + info.version + " on " + (info.host && info.host.platform || "");
  follow();
  setInterval(() => refresh("timer").catch(failed), 5000);  // live usage
}

function main() {
  // A token may come once in the fragment (never sent to the server):
  // /ui#token=jaild_...; it is kept for this tab only and taken off the URL.
  const m = /^#token=(.+)$/.exec(location.hash);
  if (m) {
    sessionStorage.setItem("jaild-token", decodeURIComponent(m[1]));
    history.replaceState(null, "", location.pathname);
  }
  state.token = sessionStorage.getItem("jaild-token");
  document.getElementById("login").addEventListener("submit", (ev) => {
    ev.preventDefault();
    state.token = document.getElementById("token").value.trim();
    sessionStorage.setItem("jaild-token", state.token);
    begin();
  });
  begin();
}

main();
