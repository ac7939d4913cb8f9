// Small DOM and API helpers: elements are built with textContent only (no HTML from data).
import { placeText, t, zoneName } from "/static/i18n.js";

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") node.className = v;
    else if (k === "dataset") Object.assign(node.dataset, v);
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

export class ApiError extends Error {
  constructor(status, detail) {
    super(detail);
    this.status = status;
  }
}

// fetch JSON from the API; a lost session sends the page back to the login form
export async function api(path, options = {}) {
  const init = { credentials: "same-origin", ...options };
  if (options.json !== undefined) {
    init.method = init.method || "POST";
    init.headers = { "Content-Type": "application/json" };
    init.body = JSON.stringify(options.json);
  }
  const r = await fetch(path, init);
  if (r.status === 401) {
    window.location.assign("/login");
    throw new ApiError(401, "not logged in");
  }
  const body = r.headers.get("content-type")?.includes("json") ? await r.json() : null;
  if (!r.ok) throw new ApiError(r.status, body?.detail ?? r.statusText);
  return body;
}

export function errorText(e) {
  if (e instanceof ApiError && e.status === 403) return `${t("err_forbidden")}: ${e.message}`;
  return `${t("err")}: ${e.message}`;
}

// "2026-11-05T10:25:07.220+08:00" -> "11-05 10:25:07" (the community's own time, as sent)
export function shortTime(ts) {
  if (typeof ts !== "string") return "";
  return `${ts.slice(5, 10)} ${ts.slice(11, 19)}`;
}

export function locationText(loc) {
  if (!loc) return "";
  return [placeText(loc.building, loc.unit, loc.floor), zoneName(loc.zone)].filter(Boolean).join(" ");
}
