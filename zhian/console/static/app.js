// The console page: who is logged in, the live alert stream (SSE), the alarm, and a hash router.
import { applyI18n, lang, setLang, t } from "/static/i18n.js";
import { api } from "/static/dom.js";
import { alarm, soundReady, unlockSound } from "/static/sound.js";
import { renderAlertDetail, renderAlerts } from "/static/alerts.js";
import { renderDevices } from "/static/devices.js";
import { renderTimeline } from "/static/timeline.js";
import { renderUsers } from "/static/users.js";

// `pending`: desk actions sent, waiting for the engine's transition (alert id -> "ack" | "clear")
export const state = { me: null, alerts: new Map(), pending: new Map(), live: false,
                       filters: { openOnly: true, severity: "" } };

// loud until the desk acts on it: a click on 确认 stops the beep at once, not when the engine answers
export function isLoud(a) {
  return a.loud && !state.pending.has(a.alert);
}

export function can(permission) {
  return state.me !== null && state.me.permissions.includes(permission);
}

export function updateAlarm() {
  let loud = false;
  for (const a of state.alerts.values()) if (isLoud(a)) loud = true;
  alarm(loud);
  document.getElementById("sound").hidden = soundReady() || !loud;
}

async function loadAlerts() {
  const body = await api("/api/alerts?limit=1000");
  state.alerts = new Map(body.alerts.map((a) => [a.alert, a]));
}

function onAlert(message) {
  const a = message.alert;
  const old = state.alerts.get(a.alert);
  if (old !== undefined && old.n > a.n) return;  // an older transition than the one shown
  state.alerts.set(a.alert, { ...a, marks: old?.marks ?? {} });
  if (old === undefined || old.state !== a.state) state.pending.delete(a.alert);
  updateAlarm();
  if (currentRoute().name === "alerts") render();
  else if (currentRoute().name === "alert" && currentRoute().arg === a.alert) render();
}

function onMarks(message) {
  const a = state.alerts.get(message.alert);
  if (a !== undefined) a.marks = message.marks;
  if (["alerts", "alert"].includes(currentRoute().name)) render();
}

function connect() {
  const source = new EventSource("/api/alerts/stream");
  const live = document.getElementById("live");
  source.addEventListener("hello", async () => {
    // (re)connected: reload the list so nothing raised while away is missed
    await loadAlerts();
    state.live = true;
    live.textContent = t("connected");
    live.className = "live";
    live.dataset.state = "up";
    updateAlarm();
    render();
  });
  source.addEventListener("alert", (e) => onAlert(JSON.parse(e.data)));
  source.addEventListener("marks", (e) => onMarks(JSON.parse(e.data)));
  source.onerror = () => {
    state.live = false;
    live.textContent = t("disconnected");
    live.className = "live down";
    live.dataset.state = "down";
    // EventSource retries by itself; if the session ended, go to the login page instead
    api("/api/me").catch(() => {});
  };
}

function currentRoute() {
  const [, name = "", arg = ""] = (window.location.hash || "#/alerts").split("/");
  return { name: name || "alerts", arg: decodeURIComponent(arg) };
}

export function render() {
  const view = document.getElementById("view");
  const route = currentRoute();
  for (const a of document.querySelectorAll(".top nav a")) {
    a.classList.toggle("active", a.getAttribute("href") === `#/${route.name === "alert" ? "alerts" : route.name}`);
  }
  if (route.name === "alert") renderAlertDetail(view, route.arg);
  else if (route.name === "devices") renderDevices(view);
  else if (route.name === "timeline") renderTimeline(view);
  else if (route.name === "users") renderUsers(view);
  else renderAlerts(view);
}

async function start() {
  applyI18n();
  document.title = t("title");
  state.me = await api("/api/me");
  document.getElementById("who").textContent = `${state.me.user} (${lang() === "zh" ? state.me.role_zh : state.me.role})`;
  for (const a of document.querySelectorAll("[data-perm]")) a.hidden = !can(a.dataset.perm);
  document.getElementById("lang-toggle").addEventListener("click", () => {
    setLang(lang() === "zh" ? "en" : "zh");
    window.location.reload();
  });
  document.getElementById("logout").addEventListener("click", async () => {
    await api("/api/logout", { method: "POST" });
    window.location.assign("/login");
  });
  const sound = document.getElementById("sound");
  sound.addEventListener("click", async () => { await unlockSound(); updateAlarm(); });
  // any click on the page lets the browser play the alarm
  document.addEventListener("click", () => { unlockSound().then(updateAlarm); }, { once: true });
  window.addEventListener("hashchange", render);
  if (window.location.hash === "" && !can("alerts.read")) {
    window.location.hash = can("devices.read") ? "#/devices" : "#/timeline";
  }
  if (can("alerts.read")) connect();
  render();
}

start();
