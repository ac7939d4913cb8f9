// The admin's page: users with their roles; add one, set a password, remove one.
import { t } from "/static/i18n.js";
import { api, el, errorText } from "/static/dom.js";
import { state } from "/static/app.js";

const ROLES = ["desk", "installer", "police", "admin"];

function day(ms) {
  return new Date(ms).toISOString().slice(0, 10);
}

export async function renderUsers(view) {
  let body;
  try {
    body = await api("/api/users");
  } catch (e) {
    view.replaceChildren(el("p", { class: "error" }, errorText(e)));
    return;
  }
  const message = el("p", { id: "users-message", class: "muted" });
  const done = (text) => { message.className = "muted"; message.textContent = text; };
  const failed = (e) => { message.className = "error"; message.textContent = errorText(e); };

  const form = el("form", { id: "user-add", class: "toolbar" },
    el("label", {}, t("username")), el("input", { name: "name", id: "new-name", required: true, autocomplete: "off" }),
    el("label", {}, t("role")), el("select", { name: "role", id: "new-role" },
      ROLES.map((r) => el("option", { value: r }, t(`role_${r}`)))),
    el("label", {}, t("password")),
    el("input", { name: "password", id: "new-password", type: "password", required: true, autocomplete: "new-password" }),
    el("button", { type: "submit", class: "primary", id: "add-user" }, t("add_user")));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const data = Object.fromEntries(new FormData(form).entries());
    try {
      await api("/api/users", { json: data });
      await renderUsers(view);
      document.getElementById("users-message").textContent = `${t("user_added")}: ${data.name}`;
    } catch (err) {
      failed(err);
    }
  });

  const row = (u) => {
    const pw = el("input", { type: "password", class: "reset-password", autocomplete: "new-password",
                             placeholder: t("new_password") });
    const reset = el("button", { type: "button", class: "reset-btn", onclick: async () => {
      try {
        await api(`/api/users/${encodeURIComponent(u.name)}/password`, { json: { password: pw.value } });
        pw.value = "";
        done(`${t("password_set")}: ${u.name}`);
      } catch (err) {
        failed(err);
      }
    } }, t("set_password"));
    const remove = u.name === state.me.user ? null : el("button", { type: "button", class: "remove-btn", onclick: async () => {
      if (!window.confirm(`${t("remove_user")} ${u.name}?`)) return;
      try {
        await api(`/api/users/${encodeURIComponent(u.name)}`, { method: "DELETE" });
        await renderUsers(view);
        document.getElementById("users-message").textContent = `${t("user_removed")}: ${u.name}`;
      } catch (err) {
        failed(err);
      }
    } }, t("remove_user"));
    return el("tr", { dataset: { user: u.name, role: u.role } },
      el("td", {}, u.name), el("td", {}, t(`role_${u.role}`)), el("td", {}, day(u.created_ms)),
      el("td", {}, pw, " ", reset, " ", remove));
  };

  view.replaceChildren(
    el("div", { class: "card" }, el("h3", {}, t("add_user")), form),
    message,
    el("table", { id: "users" },
      el("thead", {}, el("tr", {}, ["username", "role", "created", "col_actions"].map((k) => el("th", {}, t(k))))),
      el("tbody", {}, body.users.map(row))));
}
