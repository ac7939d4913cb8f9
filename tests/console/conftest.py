"""Console fixtures: a real uvicorn server over a real engine and store, users of every role,
and a small HTTP client that keeps its session cookie."""

from __future__ import annotations

import http.cookiejar
import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pytest

from ingest.event import Event
from ingest.mqtt import BrokerConfig, Inbound
from ingest.registry import load_registry
from tests.conftest import DEVICES
from zhian.console.context import ConsoleContext
from zhian.console.db import ConsoleDB
from zhian.console.server import ConsoleServer
from zhian.live import LiveConfig, LiveProcessor

PASSWORDS = {"desk": "desk-pass-1", "installer": "inst-pass-1", "police": "police-pass-1", "admin": "admin-pass-1"}
T0 = 1_793_575_865_000  # 2026-11-02T07:31:05+08:00


def add_users(db: ConsoleDB) -> None:
    """One user per role, named after it."""
    for role, password in PASSWORDS.items():
        db.add_user(role, role, password, 0)


@dataclass
class Response:
    """Status, headers and body of one request."""

    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        """The body as JSON."""
        return json.loads(self.body)


class Client:
    """HTTP against the console with a cookie jar (no redirects followed, so 303s are seen)."""

    def __init__(self, base: str) -> None:
        self.base = base.rstrip("/")
        self.jar = http.cookiejar.CookieJar()

        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *args: Any, **kwargs: Any) -> None:
                return None

        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), NoRedirect)

    def request(self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None) -> Response:
        """Send one request; HTTP errors are returned, not raised."""
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base + path, data=data, method=method, headers=headers or {})
        if data is not None:
            req.add_header("Content-Type", "application/json")
        try:
            with self.opener.open(req, timeout=30) as r:
                return Response(r.status, dict(r.headers), r.read())
        except urllib.error.HTTPError as e:
            return Response(e.code, dict(e.headers), e.read())

    def get(self, path: str) -> Response:
        """GET."""
        return self.request("GET", path)

    def post(self, path: str, body: Any = None) -> Response:
        """POST with a JSON body (an empty object by default)."""
        return self.request("POST", path, {} if body is None else body)

    def login(self, user: str, password: str | None = None) -> Response:
        """Log in (with the fixture's password for that role name by default)."""
        r = self.post("/api/login", {"username": user, "password": password or PASSWORDS[user]})
        assert r.status == 200, r.body
        return r


@dataclass
class Console:
    """A console served by uvicorn over a LiveProcessor's store and engine (no broker: events
    are fed through the processor's own entry points, as test_submit does)."""

    live: LiveProcessor
    ctx: ConsoleContext
    server: ConsoleServer

    @property
    def url(self) -> str:
        """Base URL."""
        return self.server.url

    def client(self, user: str | None = None) -> Client:
        """A client, logged in as `user` when given."""
        c = Client(self.url)
        if user is not None:
            c.login(user)
        return c

    def device_event(self, device: str, etype: str, ts_ms: int, eid: str, data: dict[str, Any] | None = None) -> None:
        """A device message through decode, the durable log and the engine, as from MQTT."""
        body: dict[str, Any] = {"v": 1, "id": eid, "ts": ts_ms, "device": device, "type": etype}
        if data:
            body["data"] = data
        self.live.process([Inbound(f"zhian/cyl/{device}/events", orjson.dumps(body), 1, 1, ts_ms)])

    def internal(self) -> None:
        """Run what was submitted (desk actions) through the log and the engine."""
        self.live._process_internal()

    def advance(self, watermark_ms: int) -> None:
        """Move event time (an idle compound) and store the outputs."""
        self.live._to_outbox(self.live.pipeline.engine.advance(watermark_ms))


@pytest.fixture
def console(tmp_path: Path) -> Iterator[Console]:
    """A console with users of every role over an empty store."""
    live = LiveProcessor(load_registry(DEVICES), BrokerConfig(port=1), LiveConfig(store_path=tmp_path / "zhian.db"))
    live.mqtt.ack = lambda batch: None  # type: ignore[method-assign,assignment]
    users = ConsoleDB(tmp_path / "console.db")
    add_users(users)

    def event_time() -> int:
        return live.pipeline.engine.watermark_ms if live.pipeline.engine.watermark_ms > 0 else T0

    ctx = ConsoleContext(tmp_path / "zhian.db", live.registry, users, submit=live.submit, event_time=event_time,
                         poll_s=0.05)
    server = ConsoleServer(ctx, "127.0.0.1", 0).start()
    try:
        yield Console(live, ctx, server)
    finally:
        server.stop()
        users.close()
        live.store.close()


def submitted(live: LiveProcessor) -> list[Event]:
    """Events waiting in the processor's internal queue (desk actions), removed from it."""
    out = []
    while not live._internal.empty():
        out.append(live._internal.get_nowait())
    return out
