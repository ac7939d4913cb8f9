"""Authentication and roles on a real uvicorn server: every route but the health check
refuses without a session (401, JSON saying why); each role gets exactly its permissions
(403 naming the permission otherwise); sessions expire and end at logout."""

from __future__ import annotations

import http.cookiejar
import re
import time

import pytest

from tests.console.conftest import PASSWORDS, T0, Client, Console
from zhian.console.db import ConsoleDB, SessionPolicy, session_alive
from zhian.console.passwords import hash_password, verify_password
from zhian.console.roles import PERMISSIONS, ROLES, allowed
from zhian.console.throttle import LoginThrottle
from zhian.store import Store

PUBLIC = {("GET", "/healthz"), ("POST", "/api/login")}
NEEDS_SESSION_ONLY = {("POST", "/api/logout"), ("GET", "/api/me")}
# every API route with the permission it needs; the test below fails when a route is added without a line here
PERMISSION_OF = {
    ("GET", "/api/alerts"): "alerts.read",
    ("GET", "/api/alerts/stream"): "alerts.read",
    ("GET", "/api/alerts/{alert}"): "alerts.read",
    ("GET", "/api/alerts/{alert}/events"): "alerts.read",
    ("POST", "/api/alerts/{alert}/ack"): "alerts.act",
    ("POST", "/api/alerts/{alert}/clear"): "alerts.act",
    ("POST", "/api/alerts/{alert}/notes"): "alerts.act",
    ("POST", "/api/alerts/{alert}/assign"): "alerts.act",
    ("POST", "/api/alerts/{alert}/false-positive"): "alerts.act",
    ("GET", "/api/events"): "events.read",
    ("GET", "/api/devices"): "devices.read",
    ("GET", "/api/devices/{device}/events"): "events.read",
    ("GET", "/api/timeline"): "timeline.query",
    ("GET", "/api/timeline/export"): "timeline.export",
    ("GET", "/api/evidence/{camera}/{name}"): "evidence.read",
    ("GET", "/api/audit"): "audit.read",
    ("GET", "/api/users"): "users.manage",
    ("POST", "/api/users"): "users.manage",
    ("POST", "/api/users/{name}/password"): "users.manage",
    ("DELETE", "/api/users/{name}"): "users.manage",
}
BODIES = {"notes": {"text": "checked on camera"}, "assign": {"assignee": "guard-7"},
          "false-positive": {"false_positive": True}}


def routes(client: Client) -> set[tuple[str, str]]:
    """(method, path template) of every operation in the OpenAPI spec (read as admin)."""
    spec = client.get("/api/openapi.json")
    assert spec.status == 200, spec.status
    return {(m.upper(), path) for path, ops in spec.json()["paths"].items() for m in ops}


def concrete(path: str, alert: str) -> str:
    """A template filled with real ids, with the query parameters a route requires."""
    path = path.replace("{alert}", alert).replace("{device}", "gate-north")
    path = path.replace("{camera}", "cam-b3-north").replace("{name}", "missing.png")
    if path.startswith("/api/timeline"):
        path += f"?from_ms={T0 - 3_600_000}&to_ms={T0 + 3_600_000}"
    return path


def raise_alert(console: Console) -> str:
    """A door_forced alert raised by the real engine; its id."""
    console.device_event("gate-north", "door.forced", T0, "forced-1")
    console.advance(T0 + 1000)
    client = console.client("admin")
    for _ in range(100):
        alerts = client.get("/api/alerts").json()["alerts"]
        if alerts:
            return str(alerts[0]["alert"])
        time.sleep(0.05)
    raise AssertionError("the alert did not reach the console")


def test_every_route_but_health_refuses_without_a_session(console: Console) -> None:
    anonymous = Client(console.url)
    assert anonymous.get("/api/openapi.json").status == 401  # the spec too
    listed = routes(console.client("admin"))
    assert PUBLIC <= listed
    assert listed - PUBLIC - NEEDS_SESSION_ONLY == set(PERMISSION_OF), "a route without a role rule in this test"
    forged = Client(console.url)
    forged.jar.set_cookie(http.cookiejar.Cookie(  # a made-up token is no session
        0, "zhian_session", "not-a-real-token", None, False, "127.0.0.1", False, False, "/", True, False, None,
        False, None, None, {}))
    for client in (anonymous, forged):
        for method, path in sorted(listed - PUBLIC):
            r = client.request(method, concrete(path, "a-unknown"), {} if method == "POST" else None)
            assert r.status == 401, (method, path, r.status)
            assert "not logged in" in r.json()["detail"]
    assert anonymous.get("/healthz").status == 200
    # the pages: the console redirects to the login page, its scripts need a session too
    r = anonymous.get("/")
    assert r.status == 303 and r.headers["location"] == "/login"
    assert anonymous.get("/static/app.js").status == 401
    assert anonymous.get("/static/alerts.js").status == 401
    assert anonymous.get("/login").status == 200
    assert anonymous.get("/static/login.js").status == 200
    assert anonymous.get("/static/../db.py").status == 404


@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_exactly_its_permissions(console: Console, role: str) -> None:
    alert = raise_alert(console)
    client = console.client(role)
    for (method, path), permission in sorted(PERMISSION_OF.items()):
        if path.endswith("/stream"):
            continue  # an open stream: checked below
        body = BODIES.get(path.rsplit("/", 1)[-1], {}) if method == "POST" else None
        r = client.request(method, concrete(path, alert), body)
        if allowed(role, permission):
            # allowed: anything but a refusal (the evidence file asked for does not exist: 404)
            assert r.status not in (401, 403), (role, method, path, r.status, r.body)
        else:
            assert r.status == 403, (role, method, path, r.status)
            detail = r.json()["detail"]
            assert role in detail and permission in detail
    if not allowed(role, "alerts.read"):
        assert client.get("/api/alerts/stream").status == 403


def test_role_table_matches_the_brief() -> None:
    assert allowed("desk", "alerts.act") and not allowed("desk", "timeline.export")
    assert allowed("police", "timeline.export") and allowed("police", "timeline.query")
    assert not allowed("police", "alerts.act")
    assert allowed("installer", "devices.read") and not allowed("installer", "alerts.act")
    assert all(allowed("admin", p) for p in PERMISSIONS)


def test_login_failures_look_alike_and_are_audited(console: Console) -> None:
    client = Client(console.url)
    wrong = client.post("/api/login", {"username": "desk", "password": "not-the-password"})
    unknown = client.post("/api/login", {"username": "nobody", "password": "not-the-password"})
    assert wrong.status == unknown.status == 401
    assert wrong.json() == unknown.json()
    assert "set-cookie" not in {k.lower() for k in wrong.headers}
    store = Store(console.ctx.store_path)
    try:
        failed = [(e["user"], e["action"]) for e in store.audit_log()]
    finally:
        store.close()
    assert ("desk", "login.failed") in failed and ("nobody", "login.failed") in failed


def test_session_cookie_is_httponly_strict_and_logout_ends_it(console: Console) -> None:
    client = Client(console.url)
    r = client.login("desk")
    cookie = next(v for k, v in r.headers.items() if k.lower() == "set-cookie")
    assert "HttpOnly" in cookie and re.search(r"SameSite=strict", cookie, re.I)
    assert r.json()["role"] == "desk" and "alerts.act" in r.json()["permissions"]
    assert client.get("/api/me").status == 200
    assert client.post("/api/logout").status == 200
    assert client.get("/api/me").status == 401


def test_sessions_expire_when_idle_and_absolutely(tmp_path) -> None:  # type: ignore[no-untyped-def]
    policy = SessionPolicy(idle_s=60, absolute_s=600)
    assert session_alive(0, 0, 60_000, policy)
    assert not session_alive(0, 0, 60_001, policy)  # idle too long
    assert not session_alive(0, 599_000, 600_001, policy)  # active, but past the absolute limit
    db = ConsoleDB(tmp_path / "console.db", policy)
    try:
        user = db.add_user("desk", "desk", PASSWORDS["desk"], 0)
        token = db.open_session(user, 1_000)
        assert db.session_user(token, 50_000) == user  # touches: idle clock restarts
        assert db.session_user(token, 100_000) == user
        assert db.session_user(token, 170_001) is None  # idle for 70 s
        assert db.session_user(token, 100_001) is None  # and it is gone for good
        token = db.open_session(user, 0)
        for t in range(50_000, 600_000, 50_000):
            assert db.session_user(token, t) == user
        assert db.session_user(token, 600_001) is None
    finally:
        db.close()


def test_passwords_are_salted_scrypt_hashes(tmp_path) -> None:  # type: ignore[no-untyped-def]
    a, b = hash_password("same-password"), hash_password("same-password")
    assert a != b and a.startswith("scrypt$") and "same-password" not in a
    assert verify_password("same-password", a) and not verify_password("same-passwore", a)
    assert not verify_password("x", "garbage")
    db = ConsoleDB(tmp_path / "console.db")
    try:
        db.add_user("police", "police", "police-pass-1", 0)
        stored = db.db.execute("SELECT password FROM users").fetchone()[0]
        assert "police-pass-1" not in stored and verify_password("police-pass-1", stored)
        assert db.authenticate("police", "police-pass-1") is not None
        assert db.authenticate("police", "police-pass-2") is None
    finally:
        db.close()


def test_password_guessing_is_throttled_per_name() -> None:
    throttle = LoginThrottle(limit=3, window_ms=1000)
    for t in (0, 100, 200):
        assert throttle.wait_ms("desk", t) == 0
        throttle.failed("desk", t)
    assert throttle.wait_ms("desk", 300) == 700  # until the first failure leaves the window
    assert throttle.wait_ms("police", 300) == 0  # other names are not affected
    assert throttle.wait_ms("desk", 1000) == 0
    throttle.failed("desk", 1000)
    throttle.succeeded("desk")
    assert throttle.wait_ms("desk", 1001) == 0


def test_login_answers_429_after_repeated_failures(console: Console) -> None:
    client = Client(console.url)
    for _ in range(5):
        assert client.post("/api/login", {"username": "desk", "password": "guess-guess"}).status == 401
    r = client.post("/api/login", {"username": "desk", "password": PASSWORDS["desk"]})
    assert r.status == 429 and "too many failed logins" in r.json()["detail"] and int(r.headers["retry-after"]) > 0
    assert Client(console.url).login("police").status == 200
