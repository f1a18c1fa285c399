// Heron companion web app: pairing, live state over the WebSocket, the conversation,
// text commands, approve/deny, timers, notifications and the mic mute. No libraries.
"use strict";

const $ = (id) => document.getElementById(id);
let token = localStorage.getItem("heron.token");
const seen = new Set(JSON.parse(localStorage.getItem("heron.seen") || "[]"));
let ws = null;
let retryMs = 500;

function api(path, options = {}) {
  const headers = {"Content-Type": "application/json", Authorization: `Bearer ${token}`};
  return fetch(path, {...options, headers}).then(async (r) => {
    if (r.status === 401) { forget(); throw new Error("not paired"); }
    const body = await r.json();
    if (!r.ok) throw new Error(body.detail || (body.error && body.error.message) || r.status);
    return body;
  });
}

function forget() {
  token = null;
  localStorage.removeItem("heron.token");
  if (ws) ws.close();
  show();
}

function show() {
  $("pairing").hidden = !!token;
  $("main").hidden = !token;
  if (token) { connect(); refreshTimers(); refreshNotifications(); }
}

function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = text;
  if (cls) e.className = cls;
  return e;
}

function setState(state) {
  $("state").textContent = state;
  $("state").dataset.state = state;
}

function setMuted(muted) {
  $("mute").setAttribute("aria-pressed", String(muted));
  $("mute").textContent = muted ? "Unmute mic" : "Mute mic";
}

function said(who, text) {
  const li = el("li", text, who);
  $("conversation").append(li);
  li.scrollIntoView({block: "nearest"});
}

function addPrompt(p) {
  if (document.querySelector(`.prompt[data-id="${p.id}"]`)) return;
  const box = el("div", undefined, "prompt");
  box.dataset.id = p.id;
  box.append(el("strong", `Heron needs your permission: ${p.title}`), el("pre", p.action),
             el("p", `Why: ${p.reason}`));
  if (p.warning) box.append(el("p", p.warning, "warning"));
  // What an allow grants, in plain words: "always" must not hide `shell` or `net:*`.
  const scopes = p.scopes || [];
  if (scopes.length) {
    const list = el("ul", undefined, "scopes");
    for (const s of scopes) list.append(el("li", s.new ? `NEW: ${s.words}` : s.words,
                                           s.new ? "new" : undefined));
    box.append(el("p", "If you allow it, it may:"), list);
  } else {
    box.append(el("p", "It needs no special permissions.", "scopes-none"));
  }
  const choices = [["once", "Allow once"], ["session", "Allow this session"],
                   ["always", "Always allow"], ["deny", "Deny"]];
  for (const [answer, label] of choices) {
    if (!p.offered.includes(answer)) continue;
    const b = el("button", label);
    b.type = "button";
    b.dataset.answer = answer;
    b.onclick = () => api(`/api/prompts/${p.id}`, {method: "POST",
      body: JSON.stringify({answer})}).catch(() => {}).finally(() => box.remove());
    box.append(b);
  }
  $("prompts").append(box);
}

function showNotification(n) {
  const li = el("li", `${n.body.title || n.kind}: ${n.body.text || ""}`);
  li.dataset.id = n.id;
  $("notifications").prepend(li);
}

function onNotification(msg) {
  ws.send(JSON.stringify({type: "ack", id: msg.id}));
  if (seen.has(msg.id)) return;  // at-least-once delivery: the id dedups
  seen.add(msg.id);
  localStorage.setItem("heron.seen", JSON.stringify([...seen].slice(-500)));
  api(`/api/notifications/${msg.id}`).then(showNotification).catch(() => {});
  refreshTimers();
}

function onMessage(msg) {
  switch (msg.type) {
    case "snapshot":
      setState(msg.state); setMuted(msg.muted);
      $("conversation").replaceChildren();
      msg.history.forEach((h) => said(h.who, h.text));
      $("prompts").replaceChildren();
      msg.prompts.forEach(addPrompt);
      break;
    case "state": setState(msg.state); break;
    case "muted": setMuted(msg.muted); break;
    case "said": said(msg.who, msg.text); if (msg.who === "assistant") refreshTimers(); break;
    case "prompt": addPrompt(msg); break;
    case "prompt_closed": {
      const box = document.querySelector(`.prompt[data-id="${msg.id}"]`);
      if (box) box.remove();
      break;
    }
    case "notification": onNotification(msg); break;
  }
}

function connect() {
  if (ws && ws.readyState <= 1) return;
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  ws = new WebSocket(`${scheme}://${location.host}/ws`);
  ws.onopen = () => { retryMs = 500; ws.send(JSON.stringify({type: "auth", token})); };
  ws.onmessage = (e) => onMessage(JSON.parse(e.data));
  ws.onclose = () => {
    setState("offline");
    if (token) setTimeout(connect, retryMs);
    retryMs = Math.min(retryMs * 2, 10000);
  };
}

function refreshTimers() {
  api("/api/timers").then((d) => {
    const items = [...d.timers.map((t) => `⏱ ${t.label || "timer"} (${t.duration_s} s)`),
                   ...d.reminders.map((r) => `🔔 ${r.text}`)];
    $("timers").replaceChildren(...items.map((t) => el("li", t)));
  }).catch(() => {});
}

function refreshNotifications() {
  api("/api/notifications").then((d) => {
    $("notifications").replaceChildren();
    d.notifications.slice().reverse().forEach((n) => { seen.add(n.id); showNotification(n); });
  }).catch(() => {});
}

function b64ToBytes(s) {
  const pad = "=".repeat((4 - (s.length % 4)) % 4);
  const raw = atob((s + pad).replace(/-/g, "+").replace(/_/g, "/"));
  return Uint8Array.from(raw, (c) => c.charCodeAt(0));
}

async function enablePush() {
  const {key} = await api("/api/push/key");
  if (!key || !("serviceWorker" in navigator) || !("PushManager" in window)) {
    alert("Push notifications are not available here.");
    return;
  }
  const reg = await navigator.serviceWorker.ready;
  const sub = await reg.pushManager.subscribe({userVisibleOnly: true,
                                               applicationServerKey: b64ToBytes(key)});
  await api("/api/push/subscribe", {method: "POST", body: JSON.stringify(sub.toJSON())});
}

$("pair-form").onsubmit = (e) => {
  e.preventDefault();
  fetch("/api/pair", {method: "POST", headers: {"Content-Type": "application/json"},
    body: JSON.stringify({code: $("pair-code").value, name: $("pair-name").value})})
    .then(async (r) => {
      const body = await r.json();
      if (!r.ok) throw new Error((body.error && body.error.message) || body.detail);
      token = body.token;
      localStorage.setItem("heron.token", token);
      history.replaceState(null, "", "/");
      show();
    }).catch((err) => { $("pair-error").textContent = err.message; });
};

$("command-form").onsubmit = (e) => {
  e.preventDefault();
  const text = $("command").value.trim();
  if (!text) return;
  $("command").value = "";
  api("/api/command", {method: "POST", body: JSON.stringify({text})})
    .catch((err) => said("error", err.message));
};

$("mute").onclick = () => {
  const muted = $("mute").getAttribute("aria-pressed") !== "true";
  api("/api/mute", {method: "POST", body: JSON.stringify({muted})}).then((d) => setMuted(d.muted));
};

$("enable-push").onclick = () => enablePush().catch((err) => alert(err.message));

const fragment = new URLSearchParams(location.hash.slice(1));
if (fragment.get("pair") && !token) $("pair-code").value = fragment.get("pair");
if ("serviceWorker" in navigator) navigator.serviceWorker.register("/sw.js").catch(() => {});
show();
