// The alert list (live) and one alert's page: evidence, the events behind it, history, notes.
import { t, lang } from "/static/i18n.js";
import { api, el, errorText, locationText, shortTime } from "/static/dom.js";
import { can, isLoud, render, state, updateAlarm } from "/static/app.js";

function summary(a) {
  return lang() === "en" ? a.summary_en : a.summary_zh;
}

function stateCell(a) {
  const pending = state.pending.get(a.alert);
  const cell = el("td", { class: "state" }, t(`st_${a.state}`));
  if (pending) cell.append(" ", el("span", { class: "badge pending" }, t(`pending_${pending}`)));
  if (a.silenced) cell.append(" ", el("span", { class: "badge" }, `${t("silenced")}: ${a.silenced}`));
  if (a.marks?.false_positive) cell.append(" ", el("span", { class: "badge fp" }, t("false_positive")));
  if (a.marks?.assignee) cell.append(" ", el("span", { class: "badge" }, `${t("assigned_to")}: ${a.marks.assignee}`));
  return cell;
}

async function act(button, alert, action) {
  button.disabled = true;
  try {
    await api(`/api/alerts/${encodeURIComponent(alert)}/${action}`, { json: {} });
    // the engine's transition follows on the stream (within the 5 s reorder window)
    state.pending.set(alert, action);
    updateAlarm();
    render();
  } catch (e) {
    button.disabled = false;
    window.alert(errorText(e));
  }
}

function actions(a) {
  const cell = el("td", { class: "actions" });
  if (!can("alerts.act") || a.state === "cleared") return cell;
  const pending = state.pending.get(a.alert);
  if (!a.acknowledged && !pending) {
    cell.append(el("button", { class: isLoud(a) ? "danger ack-btn" : "primary ack-btn", type: "button",
      onclick: (e) => { e.stopPropagation(); act(e.currentTarget, a.alert, "ack"); } }, t("ack")));
  }
  if (pending === "clear") return cell;
  cell.append(" ", el("button", { class: "clear-btn", type: "button",
    onclick: (e) => { e.stopPropagation(); act(e.currentTarget, a.alert, "clear"); } }, t("clear")));
  return cell;
}

export function renderAlerts(view) {
  const f = state.filters;
  const rows = [...state.alerts.values()]
    .filter((a) => !f.openOnly || a.state !== "cleared")
    .filter((a) => !f.severity || a.severity === f.severity)
    .sort((x, y) => (isLoud(y) - isLoud(x)) || (y.n - x.n));
  const severity = el("select", { id: "filter-severity", onchange: (e) => { f.severity = e.target.value; render(); } },
    el("option", { value: "" }, t("filter_severity")),
    ...["critical", "major", "minor"].map((s) => el("option", { value: s, selected: f.severity === s }, t(`sev_${s}`))));
  const openOnly = el("input", { id: "filter-open", type: "checkbox", checked: f.openOnly,
    onchange: (e) => { f.openOnly = e.target.checked; render(); } });
  const table = el("table", { id: "alerts" },
    el("thead", {}, el("tr", {}, ...["col_time", "col_severity", "col_state", "col_summary", "col_location",
      "col_count", "col_actions"].map((k) => el("th", {}, t(k))))),
    el("tbody", {}, rows.map((a) => el("tr", {
      class: `alert-row sev-${a.severity} state-${a.state}${isLoud(a) ? " loud" : ""}${a.silenced ? " silenced" : ""}`,
      dataset: { alert: a.alert, state: a.state, rule: a.rule },
      onclick: () => { window.location.hash = `#/alert/${encodeURIComponent(a.alert)}`; } },
      el("td", {}, shortTime(a.ts)), el("td", { class: "sev" }, t(`sev_${a.severity}`)), stateCell(a),
      el("td", { class: "summary" }, summary(a)), el("td", {}, locationText(a.location)),
      el("td", {}, a.count), actions(a)))));
  view.replaceChildren(
    el("div", { class: "toolbar" }, el("label", {}, openOnly, " ", t("filter_open")), severity,
      el("span", { class: "muted" }, `${rows.length}`)),
    rows.length ? table : el("p", { class: "muted", id: "no-alerts" }, t("empty")));
}

function evidenceBlock(events) {
  const box = el("div", { class: "evidence" });
  for (const e of events) {
    for (const path of e.data?.evidence ?? []) {
      const url = `/api/evidence/${path.split("/").map(encodeURIComponent).join("/")}`;
      if (path.endsWith(".png") || path.endsWith(".jpg")) {
        box.append(el("div", { class: "muted" }, t("trajectory"), ` — ${e.device}`),
          el("img", { src: url, alt: t("trajectory"), class: "trajectory" }));
      } else {
        box.append(el("div", { class: "muted" }, t("clip")), el("video", { src: url, controls: true, preload: "none" }));
      }
    }
  }
  if (!box.childNodes.length) box.append(el("p", { class: "muted" }, t("no_evidence")));
  return box;
}

function desk(alert, a) {
  if (!can("alerts.act")) return null;
  const note = el("input", { id: "note-text", maxlength: 2000, "data-i18n-placeholder": "note", placeholder: t("note") });
  const assignee = el("input", { id: "assignee", maxlength: 64, placeholder: t("assignee"), value: a.marks?.assignee ?? "" });
  const post = async (path, json) => {
    try { await api(`/api/alerts/${encodeURIComponent(alert)}/${path}`, { json }); render(); }
    catch (e) { window.alert(errorText(e)); }
  };
  return el("div", { class: "toolbar" },
    note, el("button", { type: "button", id: "add-note", onclick: () => note.value && post("notes", { text: note.value }) },
      t("add_note")),
    assignee, el("button", { type: "button", id: "assign", onclick: () => assignee.value && post("assign", { assignee: assignee.value }) },
      t("assign")),
    el("button", { type: "button", id: "false-positive",
      onclick: () => post("false-positive", { false_positive: !a.marks?.false_positive }) },
      a.marks?.false_positive ? t("not_false_positive") : t("false_positive")));
}

export async function renderAlertDetail(view, alert) {
  let a, behind;
  try {
    [a, behind] = await Promise.all([api(`/api/alerts/${encodeURIComponent(alert)}`),
                                     api(`/api/alerts/${encodeURIComponent(alert)}/events`)]);
  } catch (e) {
    view.replaceChildren(el("p", { class: "error" }, errorText(e)));
    return;
  }
  const kv = (k, v) => [el("span", { class: "muted" }, t(k)), el("span", {}, v ?? "—")];
  const events = el("table", { id: "alert-events" },
    el("thead", {}, el("tr", {}, ...["col_time", "col_device", "col_type", "col_subject", "col_data"].map((k) => el("th", {}, t(k))))),
    el("tbody", {}, behind.events.map((e) => el("tr", {}, el("td", {}, shortTime(e.ts)), el("td", {}, e.device),
      el("td", {}, e.type), el("td", {}, e.subject?.id ?? ""), el("td", {}, JSON.stringify(e.data ?? {}))))));
  view.replaceChildren(
    el("div", { class: "toolbar" }, el("button", { type: "button", onclick: () => { window.location.hash = "#/alerts"; } }, t("back")),
      el("strong", {}, t("alert_detail")), el("table", { id: "alert-head" }, el("tbody", {},
        el("tr", { class: `alert-row sev-${a.severity} state-${a.state}${isLoud(a) ? " loud" : ""}`, dataset: { alert: a.alert, state: a.state } },
          el("td", { class: "sev" }, t(`sev_${a.severity}`)), stateCell(a), el("td", {}, summary(a)), actions(a))))),
    el("div", { class: "detail" },
      el("div", { class: "card" }, el("h3", {}, summary(a)), el("div", { class: "kv" },
        ...kv("col_rule", a.rule), ...kv("col_severity", t(`sev_${a.severity}`)), ...kv("col_state", t(`st_${a.state}`)),
        ...kv("col_time", a.ts), ...kv("col_device", a.device), ...kv("col_subject", a.subject),
        ...kv("col_location", locationText(a.location)), ...kv("col_count", a.count), ...kv("assignee", a.marks?.assignee))),
      el("div", { class: "card" }, el("h3", {}, t("evidence")), evidenceBlock(behind.events)),
      el("div", { class: "card" }, el("h3", {}, t("events_behind")), events),
      el("div", { class: "card" }, el("h3", {}, t("history")),
        el("ul", {}, a.history.map((h) => el("li", {}, `${shortTime(h.ts)} ${t(`st_${h.state}`)} ×${h.count}`)))),
      el("div", { class: "card" }, el("h3", {}, t("notes")), desk(alert, a),
        el("ul", { id: "notes" }, a.notes.map((n) => el("li", {}, `${new Date(n.at_ms).toLocaleString()} ${n.user} [${n.kind}] ${n.text}`))))));
}
