"""User management over the API (admin only): add, list, set a password, remove; each audited;
an admin cannot remove their own account, so one always remains."""

from __future__ import annotations

from tests.console.conftest import PASSWORDS, Client, Console
from zhian.store import Store

NEW_PASSWORD = "night-shift-7731"


def test_admin_adds_a_user_who_can_log_in_and_the_list_shows_no_hash(console: Console) -> None:
    admin = console.client("admin")
    r = admin.post("/api/users", {"name": "guard-2", "role": "desk", "password": NEW_PASSWORD})
    assert r.status == 201, r.body
    listed = {u["name"]: u for u in admin.get("/api/users").json()["users"]}
    assert listed["guard-2"]["role"] == "desk" and listed["guard-2"]["role_zh"] == "监控值班"
    assert all(set(u) == {"name", "role", "role_zh", "created_ms"} for u in listed.values())
    me = Client(console.url).login("guard-2", NEW_PASSWORD).json()
    assert me["role"] == "desk" and "alerts.act" in me["permissions"]


def test_bad_users_are_refused_naming_what_is_wrong(console: Console) -> None:
    admin = console.client("admin")
    cases = [({"name": "X", "role": "desk", "password": NEW_PASSWORD}, "user name"),
             ({"name": "guard-3", "role": "boss", "password": NEW_PASSWORD}, "role 'boss'"),
             ({"name": "guard-3", "role": "desk", "password": "123"}, "password"),
             ({"name": "desk", "role": "desk", "password": NEW_PASSWORD}, "exists already")]
    for body, words in cases:
        r = admin.post("/api/users", body)
        assert r.status == 400 and words in r.json()["detail"], (body, r.status, r.body)
    assert admin.post("/api/users", {"name": "guard-3"}).status == 422
    assert "guard-3" not in {u["name"] for u in admin.get("/api/users").json()["users"]}


def test_a_password_reset_ends_the_users_sessions(console: Console) -> None:
    desk = console.client("desk")
    assert desk.get("/api/alerts").status == 200
    admin = console.client("admin")
    assert admin.post("/api/users/desk/password", {"password": NEW_PASSWORD}).status == 200
    assert desk.get("/api/alerts").status == 401
    assert Client(console.url).post("/api/login", {"username": "desk", "password": PASSWORDS["desk"]}).status == 401
    Client(console.url).login("desk", NEW_PASSWORD)
    assert admin.post("/api/users/nobody/password", {"password": NEW_PASSWORD}).status == 404
    assert admin.post("/api/users/desk/password", {"password": "short"}).status == 400


def test_remove_a_user_but_never_oneself(console: Console) -> None:
    police = console.client("police")
    admin = console.client("admin")
    assert admin.request("DELETE", "/api/users/police").status == 200
    assert police.get("/api/timeline?from_ms=0&to_ms=1").status == 401  # the session went with the user
    assert admin.request("DELETE", "/api/users/police").status == 404
    r = admin.request("DELETE", "/api/users/admin")
    assert r.status == 400 and "your own account" in r.json()["detail"]
    assert admin.post("/api/users", {"name": "admin-2", "role": "admin", "password": NEW_PASSWORD}).status == 201
    second = Client(console.url)
    second.login("admin-2", NEW_PASSWORD)
    assert second.request("DELETE", "/api/users/admin").status == 200  # another admin may
    assert admin.get("/api/users").status == 401
    # the one acting always remains: an admin is left whoever removes whom
    left = {u["name"]: u["role"] for u in second.get("/api/users").json()["users"]}
    assert [n for n, role in left.items() if role == "admin"] == ["admin-2"]


def test_user_changes_are_audited_and_other_roles_are_refused(console: Console) -> None:
    admin = console.client("admin")
    admin.post("/api/users", {"name": "guard-4", "role": "installer", "password": NEW_PASSWORD})
    admin.post("/api/users/guard-4/password", {"password": NEW_PASSWORD + "x"})
    admin.request("DELETE", "/api/users/guard-4")
    store = Store(console.ctx.store_path)
    try:
        entries = [(e["user"], e["action"], e["detail"]["name"]) for e in store.audit_log()
                   if e["action"].startswith("user.")]
        assert store.audit_chain_ok()
    finally:
        store.close()
    assert entries == [("admin", "user.add", "guard-4"), ("admin", "user.password", "guard-4"),
                       ("admin", "user.remove", "guard-4")]
    for role in ("desk", "installer", "police"):
        r = console.client(role).post("/api/users", {"name": "sneaky", "role": "admin", "password": NEW_PASSWORD})
        assert r.status == 403 and "users.manage" in r.json()["detail"]
