// The installer's page: every registered device online/offline, last seen, rejects by reason.
import { placeText, t, zoneName } from "/static/i18n.js";
import { api, el, errorText, shortTime } from "/static/dom.js";

let refresh = null;

function rejectsText(rejects) {
  return Object.entries(rejects ?? {}).map(([reason, n]) => `${reason} ×${n}`).join(", ");
}

export async function renderDevices(view) {
  clearTimeout(refresh);
  let body;
  try {
    body = await api("/api/devices");
  } catch (e) {
    view.replaceChildren(el("p", { class: "error" }, errorText(e)));
    return;
  }
  const online = body.devices.filter((d) => d.state === "online").length;
  view.replaceChildren(
    el("div", { class: "toolbar" },
      el("strong", { id: "online-count" }, `${t("dev_online")} ${online}/${body.devices.length}`),
      el("span", { class: "muted" }, `${t("rejects_total")}: ${rejectsText(body.rejects_by_reason) || t("empty")}`),
      el("button", { type: "button", onclick: () => renderDevices(view) }, t("refresh"))),
    el("table", { id: "devices" },
      el("thead", {}, el("tr", {}, ...["col_device", "col_name", "col_type", "col_zone", "col_location", "col_state",
        "col_last_seen", "col_heartbeat", "col_rejects"].map((k) => el("th", {}, t(k))))),
      el("tbody", {}, body.devices.map((d) => el("tr", { dataset: { device: d.id, state: d.state } },
        el("td", {}, d.id), el("td", {}, d.name ?? ""), el("td", {}, d.type), el("td", { class: "zone" }, zoneName(d.zone)),
        el("td", {}, placeText(d.building, d.unit, d.floor)),
        el("td", { class: `state-${d.state}` }, t(`dev_${d.state}`)), el("td", {}, d.last_seen ? shortTime(d.last_seen) : "—"),
        el("td", {}, d.heartbeat_s), el("td", {}, rejectsText(d.rejects)))))),
    body.unregistered.length ? el("div", { class: "card" }, el("h3", {}, t("unregistered")),
      el("ul", {}, body.unregistered.map((u) => el("li", {}, `${u.id} — ${shortTime(u.last_seen)} ${rejectsText(u.rejects)}`))))
      : null);
  // refresh while the page is shown
  refresh = setTimeout(() => { if (window.location.hash.startsWith("#/devices")) renderDevices(view); }, 10000);
}
