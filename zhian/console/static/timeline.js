// The police page: a timeline by place, device, person and time, and its export (both audited).
import { t, lang } from "/static/i18n.js";
import { api, el, errorText, shortTime } from "/static/dom.js";
import { can } from "/static/app.js";

const FIELDS = ["building", "unit", "floor", "zone", "device", "subject", "rule"];
let last = null;  // the form's values, kept while the page is switched

function localInput(ms) {
  const d = new Date(ms - new Date().getTimezoneOffset() * 60000);
  return d.toISOString().slice(0, 16);
}

function params(form) {
  const p = new URLSearchParams();
  p.set("from_ms", String(new Date(form.from.value).getTime()));
  p.set("to_ms", String(new Date(form.to.value).getTime()));
  for (const f of FIELDS) if (form[f].value.trim()) p.set(f, form[f].value.trim());
  if (form.only.value) p.set("only", form.only.value);
  return p;
}

function results(body) {
  const rows = [
    ...body.events.map((e) => ({ ts: e.ts, kind: t("kind_event"), device: e.device, what: e.type,
                                 subject: e.subject?.id ?? "", more: JSON.stringify(e.data ?? {}) })),
    ...body.alerts.map((a) => ({ ts: a.ts, kind: t("kind_alert"), device: a.device ?? "", what: `${a.rule} ${t(`st_${a.state}`)}`,
                                 subject: a.subject ?? "", more: lang() === "en" ? a.summary_en : a.summary_zh })),
  ].sort((x, y) => (x.ts < y.ts ? -1 : x.ts > y.ts ? 1 : 0));
  return el("div", {},
    el("p", { class: "muted", id: "tl-count" }, `${rows.length} ${t("tl_rows")}`),
    el("table", { id: "timeline" },
      el("thead", {}, el("tr", {}, ...["col_time", "col_kind", "col_device", "col_type", "col_subject", "col_data"]
        .map((k) => el("th", {}, t(k))))),
      el("tbody", {}, rows.map((r) => el("tr", {}, el("td", {}, shortTime(r.ts)), el("td", {}, r.kind),
        el("td", {}, r.device), el("td", {}, r.what), el("td", {}, r.subject), el("td", {}, r.more))))));
}

export function renderTimeline(view) {
  const now = Date.now();
  const v = last ?? { from: localInput(now - 24 * 3600 * 1000), to: localInput(now + 60000) };
  const input = (name, attrs = {}) => el("input", { name, id: `tl-${name}`, value: v[name] ?? "", ...attrs });
  const out = el("div", { id: "tl-results" });
  const form = el("form", { class: "tl-form", id: "tl-form" },
    el("label", {}, t("tl_from")), input("from", { type: "datetime-local", required: true }),
    el("label", {}, t("tl_to")), input("to", { type: "datetime-local", required: true }),
    el("label", {}, t("tl_only")), el("select", { name: "only", id: "tl-only" },
      el("option", { value: "" }, t("tl_both")), el("option", { value: "events" }, t("tl_events")),
      el("option", { value: "alerts" }, t("tl_alerts"))),
    ...FIELDS.flatMap((f) => [el("label", {}, t(`tl_${f}`)), input(f, f === "floor" ? { type: "number" } : {})]),
    el("button", { type: "submit", class: "primary", id: "tl-search" }, t("search")),
    can("timeline.export") ? el("a", { id: "tl-export", href: "#", download: "" }, t("export")) : null);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    last = Object.fromEntries([...new FormData(form).entries()]);
    try {
      out.replaceChildren(results(await api(`/api/timeline?${params(form)}`)));
    } catch (err) {
      out.replaceChildren(el("p", { class: "error" }, errorText(err)));
    }
  });
  const exportLink = form.querySelector("#tl-export");
  if (exportLink) {
    // a plain link: the browser downloads the zip with the session cookie
    exportLink.addEventListener("click", () => { exportLink.href = `/api/timeline/export?${params(form)}`; });
  }
  view.replaceChildren(el("p", { class: "muted" }, t("tl_audited")), form, out);
}
