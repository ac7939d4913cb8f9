// The login page: posts the credentials; the server answers with an HttpOnly session cookie.
import { applyI18n, lang, setLang, t } from "/static/i18n.js";

applyI18n();
document.title = t("login_title");

document.getElementById("lang-toggle").addEventListener("click", () => {
  setLang(lang() === "zh" ? "en" : "zh");
  applyI18n();
  document.title = t("login_title");
});

document.getElementById("login-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const error = document.getElementById("login-error");
  error.textContent = "";
  const body = { username: document.getElementById("username").value.trim(),
                 password: document.getElementById("password").value };
  const r = await fetch("/api/login", { method: "POST", headers: { "Content-Type": "application/json" },
                                        body: JSON.stringify(body), credentials: "same-origin" });
  if (r.ok) {
    window.location.assign("/");
  } else {
    const body = await r.json().catch(() => ({}));
    error.textContent = r.status === 401 ? t("login_failed") : `${t("err")} ${r.status}: ${body.detail ?? ""}`;
  }
});
